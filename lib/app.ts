import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { PlatformConfig } from '../core/config/schema';
import { MlopsStack } from './mlops-stack';

export interface BuildAppOptions {
  /** Lambda bundling with esbuild; off skips it (unit tests, fast template reads). @default true */
  readonly bundle?: boolean;
  /** Run the cdk-nag AwsSolutions checks at synth (findings fail the synth). @default true */
  readonly nag?: boolean;
  /** @default - a temporary directory (the CLI passes cdk.out) */
  readonly outdir?: string;
  /**
   * CDK's built-in CloudFormation template validation at synth (about 3 s per synth); unit tests
   * that synthesize many times turn it off, `cdk synth` keeps it. @default true
   */
  readonly cloudFormationValidation?: boolean;
  /** An app to add the stack to (bin/app.ts passes the CLI's); `bundle` and `outdir` then do not apply. @default - a new App */
  readonly app?: App;
}

/**
 * Feature flags the platform is built and tested with, set in code so that `cdk synth`, the tests
 * and the local platform synthesize the same template.
 */
export const FEATURE_FLAGS: Readonly<Record<string, boolean>> = {
  // Access-log delivery by bucket policy, so every bucket keeps ACLs disabled (BucketOwnerEnforced).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/core:checkSecretUsage': true,
  '@aws-cdk/aws-batch:defaultToAL2023': true,
  '@aws-cdk/aws-lambda:createNewPoliciesWithAddToRolePolicy': false,
};

/** The CDK app for a config: one stack named after the config's project. */
export function buildApp(config: PlatformConfig, options: BuildAppOptions = {}): { app: App; stack: MlopsStack } {
  const app =
    options.app ??
    new App({
      outdir: options.outdir,
      builtinCloudFormationValidation: options.cloudFormationValidation ?? true,
      context: options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {},
    });
  for (const [flag, value] of Object.entries(FEATURE_FLAGS)) app.node.setContext(flag, value);
  const stack = new MlopsStack(app, config.project, {
    config,
    description: `Serverless MLOps platform (${config.models.map((model) => model.name).join(', ')})`,
  });
  if (options.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
