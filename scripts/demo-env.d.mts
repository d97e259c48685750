type Env = Record<string, string | undefined>;

export function demoEnv(base: Env, make: { secret: () => string; signingKeyFile: () => string }): Env;
export function demoExports(base: Env): boolean;
