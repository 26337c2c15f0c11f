import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { buildTrainerImage } from './bundles';

let built: string | undefined;

/**
 * The platform's trainer image folder, built with esbuild once per process (synth is one process):
 * the Dockerfile and one bundle, so the image asset's hash follows the code it runs.
 */
export function defaultTrainerImageDirectory(): string {
  built ??= buildTrainerImage();
  return built;
}

/**
 * The image of a model's training and batch-scoring jobs: the model's own image folder, or the
 * platform's trainer image. Both jobs take the same folder, so they share one image asset.
 */
export function trainerContainerImage(ownImageDirectory?: string): ContainerImage {
  return ContainerImage.fromAsset(ownImageDirectory ?? defaultTrainerImageDirectory(), {
    platform: Platform.LINUX_AMD64,
  });
}
