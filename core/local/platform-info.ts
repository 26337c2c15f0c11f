import * as z from 'zod';

/**
 * What `mlops local start` writes to <data dir>/platform.json and every other command reads:
 * endpoints, bucket names, file paths and small facts. Never file contents: `mlops local info`
 * prints it whole, and whoever needs a file's bytes reads the file at its path.
 */
const cellSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const BuiltInDataInfoSchema = z.object({
  v1Path: z.string(),
  v2Path: z.string(),
  corruptPath: z.string(),
  rows: z.number().int(),
  /** One v1 row without its id and target: a ready-made prediction request. */
  exampleInstance: z.record(z.string(), cellSchema),
  /** The v1 customers' features as a `customer` feature view file (customer_id, event_time, the features); absent in a platform.json of an older release. */
  customerFeaturesPath: z.string().optional(),
  /** The same customer as exampleInstance, by key only: the endpoint reads the rest from the online store. */
  entityOnlyInstance: z.record(z.string(), cellSchema).optional(),
});
export type BuiltInDataInfo = z.infer<typeof BuiltInDataInfoSchema>;

export const PlatformInfoSchema = z.object({
  s3Endpoint: z.string(),
  awsEndpoint: z.string(),
  httpUrl: z.string(),
  buckets: z.object({ raw: z.string(), curated: z.string(), artifacts: z.string(), monitoring: z.string() }),
  models: z.array(
    z.object({
      name: z.string(),
      /** The Function URL root: GET it for the model, POST <root>predict to score. */
      endpoint: z.string(),
      /** POST {"actuals": [...]} here: the ground-truth route. */
      feedback: z.string(),
      stateMachineArn: z.string(),
      /** Streaming scoring (models with a `streaming` section): the local Kinesis streams and the on-failure queue. */
      stream: z
        .object({
          inputStream: z.string(),
          outputStream: z.string().optional(),
          onFailureQueueUrl: z.string().optional(),
          /** The on-failure queue's messages, one JSON line each. */
          onFailureFile: z.string().optional(),
        })
        .optional(),
    }),
  ),
  /** The local Kinesis endpoint (kinesalite; HTTP/1.1 and HTTP/2). Absent in files older platforms wrote. */
  kinesisEndpoint: z.string().optional(),
  /** The local DynamoDB endpoint (dynalite) holding the online feature store; absent without feature views. */
  dynamodbEndpoint: z.string().optional(),
  /** The online feature store's table there (the name the CDK app gives it). */
  featureTable: z.string().optional(),
  /** The console's URL, without its session token (the platform prints that once). Absent in older files. */
  consoleUrl: z.string().optional(),
  dataDir: z.string(),
  /** The config file the platform runs (commands that need more than the endpoints read it). Absent in older files. */
  configPath: z.string().optional(),
  builtInData: BuiltInDataInfoSchema,
  /** The platform's process; null once it has stopped. */
  pid: z.number().int().nullable(),
});
export type PlatformInfo = z.infer<typeof PlatformInfoSchema>;

/** Parses platform.json; unknown fields (such as the bytes older versions wrote) are dropped. */
export function parsePlatformInfo(json: unknown, source: string): PlatformInfo {
  const result = PlatformInfoSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(
      `${source} is not a local platform description (${issue.path.join('.') || 'top level'}: ${issue.message}); ` +
        `restart the platform with 'npm start' to rewrite it`,
    );
  }
  return result.data;
}

/** The text of platform.json: only the fields above, whatever else the object carries. */
export function formatPlatformInfo(info: PlatformInfo): string {
  return `${JSON.stringify(PlatformInfoSchema.parse(info), null, 2)}\n`;
}
