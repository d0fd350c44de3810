/**
 * TEST DOUBLE of kube-apiserver's label selector parsing, for the fake API
 * server. Grammar, matching and error wording follow
 * k8s.io/apimachinery/pkg/labels/selector.go (`Parse`, `Requirement.Matches`)
 * and key/value validation k8s.io/apimachinery/pkg/util/validation
 * (`IsQualifiedName`, `IsValidLabelValue`); kube-apiserver answers a selector
 * that does not parse with `400 BadRequest`
 * (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/get.go, ListResource).
 *
 *   <selector>    ::= <requirement> | <requirement> "," <selector>
 *   <requirement> ::= ["!"] KEY [ ("in" | "notin") "(" VALUES ")" | ("=" | "==" | "!=" | ">" | "<") VALUE ]
 */
export type LabelMatcher = (labels: Record<string, string>) => boolean;

export class SelectorError extends Error {}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : '';
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const problems: string[] = [];
  if (
    slash >= 0 &&
    (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))
  )
    problems.push('prefix part must be a lowercase RFC 1123 subdomain');
  if (key.split('/').length > 2)
    problems.push(
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', with an optional DNS subdomain prefix and '/'",
    );
  if (name.length === 0 || name.length > 63 || !NAME.test(name))
    problems.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63)",
    );
  if (problems.length)
    throw new SelectorError(
      `key: Invalid value: "${key}": ${problems.join('; ')}`,
    );
}

function checkValue(key: string, value: string, i = 0): void {
  if (value === '' || (value.length <= 63 && NAME.test(value))) return;
  throw new SelectorError(
    `values[${i}][${key}]: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
  );
}

type Token = { kind: 'id' | 'op' | 'end'; text: string };

/** selector.go's Lexer: special symbols `=!(),<>`, whitespace separates, everything else is an identifier. */
function lex(raw: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < raw.length) {
    const c = raw[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if ('=!(),<>'.includes(c)) {
      const two = raw.slice(i, i + 2);
      const op = two === '==' || two === '!=' ? two : c;
      tokens.push({ kind: 'op', text: op });
      i += op.length;
    } else {
      let j = i;
      while (
        j < raw.length &&
        !/\s/.test(raw[j]) &&
        !'=!(),<>'.includes(raw[j])
      )
        j += 1;
      tokens.push({ kind: 'id', text: raw.slice(i, j) });
      i = j;
    }
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

/** Parses a label selector as kube-apiserver does; throws SelectorError with its wording. */
export function parseLabelSelector(raw: string): LabelMatcher {
  const tokens = lex(raw);
  let at = 0;
  const peek = () => tokens[at];
  const next = () => tokens[at++];
  const found = (t: Token) => (t.kind === 'end' ? 'end of string' : t.text);
  const terms: LabelMatcher[] = [];

  const requirement = (): LabelMatcher => {
    let negated = false;
    if (peek().text === '!') {
      negated = true;
      next();
    }
    const keyToken = next();
    if (keyToken.kind !== 'id')
      throw new SelectorError(
        `found '${found(keyToken)}', expected: identifier`,
      );
    const key = keyToken.text;
    checkKey(key);
    const op = peek();
    if (negated || op.kind === 'end' || op.text === ',') {
      return negated ? l => !(key in l) : l => key in l;
    }
    next();
    if (op.text === 'in' || op.text === 'notin') {
      if (next().text !== '(')
        throw new SelectorError(
          `found '${found(tokens[at - 1])}', expected: '('`,
        );
      const values = new Set<string>();
      for (;;) {
        const t = next();
        if (t.text === ')' && values.size === 0)
          throw new SelectorError(
            `for 'in', 'notin' operators, values set can't be empty`,
          );
        if (t.kind !== 'id')
          throw new SelectorError(`found '${found(t)}', expected: identifier`);
        checkValue(key, t.text, values.size);
        values.add(t.text);
        const sep = next();
        if (sep.text === ')') break;
        if (sep.text !== ',')
          throw new SelectorError(
            `found '${found(sep)}', expected: ',' or ')'`,
          );
      }
      return op.text === 'in'
        ? l => key in l && values.has(l[key])
        : l => !(key in l) || !values.has(l[key]);
    }
    if (!['=', '==', '!=', '>', '<'].includes(op.text))
      throw new SelectorError(
        `found '${found(op)}', expected: in, notin, =, ==, !=, gt, lt`,
      );
    // `k=` is an empty value, not an error.
    const valueToken = peek().kind === 'id' ? next() : { kind: 'id', text: '' };
    const value = valueToken.text;
    if (op.text === '>' || op.text === '<') {
      if (!/^-?\d+$/.test(value))
        throw new SelectorError(
          `values[0]: Invalid value: "${value}": for 'Gt', 'Lt' operators, the value must be an integer`,
        );
      const n = Number(value);
      return op.text === '>'
        ? l => key in l && Number(l[key]) > n
        : l => key in l && Number(l[key]) < n;
    }
    checkValue(key, value);
    return op.text === '!='
      ? l => !(key in l) || l[key] !== value
      : l => key in l && l[key] === value;
  };

  for (;;) {
    const t = peek();
    if (t.kind === 'end') break;
    if (t.kind !== 'id' && t.text !== '!')
      throw new SelectorError(
        `found '${found(t)}', expected: !, identifier, or 'end of string'`,
      );
    try {
      terms.push(requirement());
    } catch (error) {
      throw new SelectorError(
        `unable to parse requirement: ${(error as Error).message}`,
      );
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (sep.text !== ',')
      throw new SelectorError(
        `found '${found(sep)}', expected: ',' or 'end of string'`,
      );
    const after = peek();
    if (after.kind !== 'id' && after.text !== '!')
      throw new SelectorError(
        `found '${found(after)}', expected: identifier after ','`,
      );
  }
  return labels => terms.every(term => term(labels));
}
