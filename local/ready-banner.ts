import type { ModelConfig, PlatformConfig } from '../core/config/schema';
import type { PlatformInfo } from '../core/local/platform-info';

/** The "ready" lines a person sees once a model serves: how to call it, feed it data, check drift. */

/**
 * Returns `announceIfServing(model)`: prints the ready lines the first time the model's endpoint
 * answers with a given version; quiet while it does not serve yet.
 */
export function createServingAnnouncer(
  info: PlatformInfo,
  config: PlatformConfig,
  log: (line: string) => void,
  consoleUrl: string | null = null,
) {
  const announced = new Set<string>();
  return async function announceIfServing(model: string): Promise<void> {
    try {
      const response = await fetch(`${info.httpUrl}/${model}/`);
      if (response.status !== 200) return;
      const body = (await response.json()) as { model?: { version?: number } };
      const version = body.model?.version;
      const key = `${model}@${version}`;
      if (announced.has(key)) return;
      announced.add(key);
      printReady(log, info, config.models.find((m) => m.name === model)!, version, consoleUrl, config);
    } catch {
      // Not serving yet; the next successful run announces it.
    }
  };
}

function printReady(
  log: (line: string) => void,
  info: PlatformInfo,
  model: ModelConfig,
  version: number | undefined,
  consoleUrl: string | null,
  config: Pick<PlatformConfig, 'featureViews'>,
): void {
  const url = `${info.httpUrl}/${model.name}`;
  const aws = `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 aws --endpoint-url ${info.s3Endpoint}`;
  const example = model.name === 'churn' ? info.builtInData.exampleInstance : {};
  log('');
  log(`ready: ${model.name} version ${version} serves at ${url}/predict`);
  log(
    `  predict:      curl -s -X POST ${url}/predict -H 'content-type: application/json' -d '${JSON.stringify({ instances: [example] })}'`,
  );
  if (model.name === 'churn' && model.featureView !== undefined && info.builtInData.entityOnlyInstance)
    log(
      `  by key only:  curl -s -X POST ${url}/predict -H 'content-type: application/json' -d '${JSON.stringify({ instances: [info.builtInData.entityOnlyInstance] })}'   (the ${model.featureView} view supplies the rest)`,
    );
  log(`  model info:   curl -s ${url}/`);
  log(
    `  outcomes:     curl -s -X POST ${url}/feedback -H 'content-type: application/json' -d '${JSON.stringify({ actuals: [{ id: '<predictions[i].id>', label: model.positiveLabel ?? 0 }] })}'`,
  );
  if (model.name === 'churn')
    log(`  new data:     ${aws} s3 cp ${info.builtInData.v2Path} s3://${info.buckets.raw}/churn/`);
  else log(`  new data:     ${aws} s3 cp <file.csv> s3://${info.buckets.raw}/${model.name}/`);
  log(`  drift check:  npx mlops drift run ${model.name}`);
  log(`  versions:     npx mlops versions ${model.name}`);
  if (info.dynamodbEndpoint && config.featureViews.length > 0) {
    const view =
      config.featureViews.find((candidate) => candidate.name === model.featureView) ?? config.featureViews[0];
    log(`  features:     ${aws} s3 cp <file.csv> s3://${info.buckets.curated}/features/${view.name}/`);
    log(
      `  online store: DynamoDB ${info.dynamodbEndpoint}, table ${info.featureTable}; reload: npx mlops features materialize ${view.name}`,
    );
  }
  if (consoleUrl) log(`  console:      ${consoleUrl}   (the token in it allows actions; keep it private)`);
  log('');
}
