import { fireEvent, screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { createFieldValidation } from '@backstage/plugin-scaffolder-react/alpha';
import { LocoConfirmName, validateConfirmName } from './LocoConfirmName';

function validate(typed: string | undefined, name: string | undefined) {
  const field = createFieldValidation();
  validateConfirmName(typed, field, {
    formData: { name },
    uiSchema: { 'ui:options': { matches: 'name' } },
  } as any);
  return field.__errors;
}

describe('LocoConfirmName', () => {
  it('starts empty and asks for the chosen environment by name', async () => {
    const onChange = jest.fn();
    await renderInTestApp(
      <LocoConfirmName
        {...({} as any)}
        schema={{ title: "Type the environment's name to confirm" }}
        uiSchema={{ 'ui:options': { matches: 'name' } }}
        formData={undefined}
        onChange={onChange}
        rawErrors={[]}
        formContext={{ formData: { name: 'lab-7' } }}
      />,
    );
    const box = screen.getByRole('textbox');
    expect((box as HTMLInputElement).value).toBe('');
    expect(screen.getByText(/Type lab-7 to confirm/)).toBeInTheDocument();
    fireEvent.change(box, { target: { value: 'lab-7' } });
    expect(onChange).toHaveBeenCalledWith('lab-7');
  });

  it('lets the form go on only when the typed name is exactly the chosen one', () => {
    expect(validate('lab-7', 'lab-7')).toEqual([]);
    expect(validate(undefined, 'lab-7')).toEqual(['Type lab-7 to confirm']);
    expect(validate('lab-', 'lab-7')).toEqual(['Type lab-7 to confirm']);
    expect(validate('LAB-7', 'lab-7')).toEqual(['Type lab-7 to confirm']);
    expect(validate('lab-7', undefined)).toEqual([
      'Choose the environment first',
    ]);
  });
});
