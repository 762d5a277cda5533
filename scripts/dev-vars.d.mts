export function parseDevVars(text: string): Record<string, string>;
export function ensureDevVars(target: string, example: string): Promise<boolean>;
export function withEnvOverrides(
  fileVars: Record<string, string>,
  env: Record<string, string | undefined>,
): Record<string, string>;
