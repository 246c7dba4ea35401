// The release this build is: package.json's version. One source for `zonectl --version`, the
// plugins' VERSION result and the name and control file of the Debian package (packaging/).
import packageJson from '../../package.json' with { type: 'json' };

export const RELEASE_VERSION: string = packageJson.version;
