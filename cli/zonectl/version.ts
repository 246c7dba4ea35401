// The version zonectl and the plugins it installs carry: the release's (lib/release).
import { RELEASE_VERSION } from '../../lib/release/version.js';

export const VERSION: string = RELEASE_VERSION;
