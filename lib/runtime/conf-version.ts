// Which protocol version a network configuration list runs at. A list may offer
// `cniVersions`; the highest of those and `cniVersion` that we speak wins, so one file serves
// old and new runtimes (libcni skips only versions newer than itself; we also skip unknown
// older ones, which libcni would pick and then fail on).
import { CniError, ErrorCode } from '../cni/errors.js';
import { compareVersions, isSupportedVersion, isWellFormedVersion, SUPPORTED_VERSIONS, type CniVersion } from '../cni/version.js';

export interface VersionFields {
  cniVersion?: string;
  cniVersions?: string[];
}

function requireWellFormed(version: string, field: string, where: string): void {
  if (!isWellFormedVersion(version)) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `${where}: malformed ${field} "${version}"`, 'expected MAJOR.MINOR.PATCH');
  }
}

function highest(versions: string[]): string | undefined {
  return [...versions].sort(compareVersions).at(-1);
}

/** The version a list runs at: code 7 when it names none or a malformed one, 1 when we do not speak it. */
export function selectListVersion(fields: VersionFields, where: string): CniVersion {
  const { cniVersion, cniVersions } = fields;
  if (cniVersion !== undefined && cniVersion !== '') requireWellFormed(cniVersion, 'cniVersion', where);
  cniVersions?.forEach((v, i) => requireWellFormed(v, `cniVersions[${i}]`, where));

  let chosen = cniVersion ?? '';
  if (cniVersions) {
    const candidates = [...cniVersions, ...(chosen ? [chosen] : [])].filter(isSupportedVersion);
    chosen = highest(candidates) ?? chosen;
  }
  if (chosen === '' && cniVersions?.length) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `${where}: none of the offered CNI versions ${cniVersions.join(', ')} is supported`,
      `supported versions: ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
  if (chosen === '') {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `${where}: no cniVersion`, 'set "cniVersion" (and optionally "cniVersions")');
  }
  if (!isSupportedVersion(chosen)) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `${where}: unsupported CNI version "${chosen}"`,
      `supported versions: ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
  return chosen;
}
