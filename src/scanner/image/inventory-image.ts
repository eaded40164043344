/**
 * Pulls one image manifest from a registry and inventories it: manifest (digest verified),
 * config (for the layers' diff_ids), then each layer once, in order, streamed through the
 * decompressor and the tar walker into the image view.
 */
import { createHash } from 'node:crypto';
import { ScanError } from '../scan-error.ts';
import type { Inventory } from '../types.ts';
import { buildInventory } from '../inventory/build-inventory.ts';
import { openLayerTar } from './decompress.ts';
import { ImageView } from './image-view.ts';
import { walkLayer } from './layer-walker.ts';
import type { ScanLimits } from './limits.ts';
import { CONSUMED_MANIFEST_TYPES, parseImageManifest } from './manifest.ts';
import { createRegistryClient, readBounded, type RegistryTarget } from './registry-client.ts';

export interface ImageLayerInfo {
  digest: string;
  diffId?: string;
}

export interface InventoriedImage {
  /** The manifest's media type (OCI or Docker). */
  mediaType: string;
  layers: ImageLayerInfo[];
  inventory: Inventory;
}

export interface InventoryOptions {
  /**
   * An earlier inventory of the same manifest digest. It is used only after the manifest was
   * fetched with this request's credential and verified, so a cached result never answers a
   * caller who cannot pull the image; the layers are then not read again.
   */
  cached?(digest: string): InventoriedImage | undefined;
}

function verifyDigest(bytes: Buffer, digest: string, what: string): void {
  const [algorithm, hex] = digest.split(':');
  const actual = createHash(algorithm).update(bytes).digest('hex');
  if (actual !== hex) throw new ScanError('DIGEST_MISMATCH', `${what} ${digest} has digest ${algorithm}:${actual}`);
}

function diffIdsOf(config: Buffer): string[] {
  try {
    const doc = JSON.parse(config.toString('utf8'));
    const ids = doc?.rootfs?.diff_ids;
    return Array.isArray(ids) ? ids.filter((d: unknown): d is string => typeof d === 'string') : [];
  } catch {
    throw new ScanError('MANIFEST_INVALID', 'the image config is not JSON');
  }
}

export async function inventoryImage(target: RegistryTarget, digest: string, limits: ScanLimits, options: InventoryOptions = {}): Promise<InventoriedImage> {
  const client = createRegistryClient(target);
  try {
    const { bytes, contentType } = await client.manifest(digest, [...CONSUMED_MANIFEST_TYPES, 'application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'], limits.maxManifestBytes);
    verifyDigest(bytes, digest, 'manifest');
    const manifest = parseImageManifest(bytes, contentType, limits.maxLayers);
    const cached = options.cached?.(digest);
    if (cached) return cached;
    if (manifest.config.size > limits.maxManifestBytes) throw new ScanError('MANIFEST_INVALID', `the image config is larger than ${limits.maxManifestBytes} bytes`);
    const config = await readBounded(await client.blob(manifest.config.digest), limits.maxManifestBytes, 'image config');
    verifyDigest(config, manifest.config.digest, 'config');
    const diffIds = diffIdsOf(config);
    const view = new ImageView();
    let keptBytes = 0;
    for (const layer of manifest.layers) {
      const tar = openLayerTar(await client.blob(layer.digest), layer, limits);
      const contents = await walkLayer(tar, layer.digest, {
        limits,
        lowerHas: (path) => view.has(path),
        budget: { bytes: limits.maxKeptBytes - keptBytes, entries: limits.maxKeptEntries - view.size },
      });
      keptBytes += contents.keptBytes;
      view.apply(contents);
    }
    return {
      mediaType: manifest.mediaType,
      layers: manifest.layers.map((l, i) => (diffIds[i] ? { digest: l.digest, diffId: diffIds[i] } : { digest: l.digest })),
      inventory: buildInventory(view),
    };
  } finally {
    await client.close();
  }
}
