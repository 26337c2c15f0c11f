/**
 * The names of the stack outputs the CLI reads back (lib/mlops-stack.ts writes them): one place,
 * so a renamed output cannot leave `mlops invoke` looking for the old one.
 */

/** `churn-eu` -> `ChurnEu`: output keys must be alphanumeric. */
export function outputKey(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** The output holding a model's Function URL, e.g. `ChurnEuEndpointUrl`. */
export function endpointUrlOutputKey(model: string): string {
  return `${outputKey(model)}EndpointUrl`;
}
