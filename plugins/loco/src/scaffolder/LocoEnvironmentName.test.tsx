import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fireEvent, screen } from '@testing-library/react';
import { ENVIRONMENT_NAME_RULE } from '@loco-portal/plugin-loco-common';
import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import { createFieldValidation } from '@backstage/plugin-scaffolder-react/alpha';
import { renderInTestApp } from '@backstage/test-utils';
import {
  LocoEnvironmentName,
  nameProblem,
  validateEnvironmentName,
} from './LocoEnvironmentName';

/** Test double of the Loco backend's GET /environments/:name: only "lab-7" exists. */
const apiHolder = {
  get(ref: { id: string }) {
    if (ref.id === discoveryApiRef.id)
      return { getBaseUrl: async () => 'http://portal/api/loco' };
    if (ref.id === fetchApiRef.id)
      return {
        fetch: async (url: string) =>
          new Response('{}', {
            status: url.endsWith('/environments/lab-7') ? 200 : 404,
          }),
      };
    return undefined;
  },
};

async function validate(name: string | undefined) {
  const field = createFieldValidation();
  await validateEnvironmentName(name, field, {
    apiHolder,
    formData: {},
    schema: {},
  } as any);
  return field.__errors;
}

describe('LocoEnvironmentName', () => {
  it('says what is wrong with a name in one sentence, never as a pattern', () => {
    expect(nameProblem('lab-8')).toBeUndefined();
    expect(nameProblem('Lab 8')).toBe(
      '"Lab 8" cannot be a name: use lower-case letters, digits and dashes, at most 40 characters, starting with a letter and ending with a letter or digit.',
    );
    expect(nameProblem('a'.repeat(41))).toMatch(/has 41 characters/);
    expect(nameProblem(undefined)).toBe('Give the environment a name.');
  });

  it('flags a name already in use when the step is left', async () => {
    expect(await validate('lab-7')).toEqual([
      'An environment named "lab-7" already exists: choose another name.',
    ]);
    expect(await validate('lab-8')).toEqual([]);
    expect(await validate('-bad')).toHaveLength(1);
  });

  it('shows the rule in words, and not again beside a problem listed above the form', async () => {
    const onChange = jest.fn();
    await renderInTestApp(
      <LocoEnvironmentName
        {...({} as any)}
        schema={{ title: 'Name', description: 'Also the entity name.' }}
        formData={undefined}
        onChange={onChange}
        rawErrors={[]}
      />,
    );
    expect(
      screen.getByText('Also the entity name. Use lower-case letters', {
        exact: false,
      }),
    ).toBeInTheDocument();
    fireEvent.change(screen.getByRole('textbox'), {
      target: { value: 'lab-8' },
    });
    expect(onChange).toHaveBeenCalledWith('lab-8');
  });

  it("gives the template's name field loco-common's rule as its message, shown once", () => {
    const template = readFileSync(
      path.resolve(
        __dirname,
        '../../../../templates/create-loco-environment/template.yaml',
      ),
      'utf8',
    );
    const name = template.slice(
      template.indexOf('        name:'),
      template.indexOf('        owner:'),
    );
    expect(name).toContain('ui:field: LocoEnvironmentName');
    expect(name).toContain('ui:hideError: true');
    for (const keyword of ['pattern', 'maxLength']) {
      expect(name).toContain(
        `${keyword}: 'is not a valid name: use ${ENVIRONMENT_NAME_RULE}'`,
      );
    }
  });
});
