/** Token scopes of the distribution API: pull, or pull and push, on one repository. */
export const pull = (repository: string): string => `repository:${repository}:pull`;
export const push = (repository: string): string => `repository:${repository}:pull,push`;
