// The version zonectl and the plugins it installs carry: the package's.
import packageJson from '../../package.json' with { type: 'json' };

export const VERSION: string = packageJson.version;
