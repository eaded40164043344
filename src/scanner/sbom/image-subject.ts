/** What an SBOM describes: one image manifest of one repository. */
export interface SbomSubject {
  repository: string;
  digest: string;
  /** The registry host the image was pulled from (for names only). */
  registry?: string;
}

export const SCANNER_TOOL = { vendor: 'Lazaret', name: 'lazaret-scanner', version: '0.1.0' } as const;
