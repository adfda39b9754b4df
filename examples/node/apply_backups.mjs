// The team's backup configuration, with the AWS SDK for JavaScript v3:
// firedrill created the shop's resources bare ([policy] base = "none") and
// runs this once before traffic.
// - DynamoDB point-in-time recovery on both tables;
// - S3 versioning on the three buckets;
// - RDS automated backups kept 14 days (which is what makes PITR possible);
// - an AWS Backup vault and a daily plan over all six resources.

import {
  CreateBackupPlanCommand,
  CreateBackupSelectionCommand,
  CreateBackupVaultCommand,
  ListBackupPlansCommand,
  ListBackupVaultsCommand,
} from "@aws-sdk/client-backup";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { ModifyDBInstanceCommand } from "@aws-sdk/client-rds";
import { PutBucketVersioningCommand } from "@aws-sdk/client-s3";
import * as shop from "./shop.mjs";

const RETENTION_DAYS = 14;

shop.run(async () => {
  const names = shop.store();
  const { ddb, s3, rds, backup } = shop.clients();
  const tables = [names.carts_table, names.sessions_table];
  const buckets = [names.images_bucket, names.invoices_bucket, names.templates_bucket];

  for (const table of tables) await shop.enableTablePitr(ddb, table);

  for (const bucket of buckets) {
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: bucket,
        VersioningConfiguration: { Status: "Enabled" },
      }),
    );
    shop.log(`versioning enabled on ${bucket}`);
  }

  await rds.send(
    new ModifyDBInstanceCommand({
      DBInstanceIdentifier: names.db_instance,
      BackupRetentionPeriod: RETENTION_DAYS,
      ApplyImmediately: true,
    }),
  );
  const db = await shop.waitDbAvailable(rds, names.db_instance);
  if (db.BackupRetentionPeriod !== RETENTION_DAYS) {
    throw new Error(`${names.db_instance} kept retention ${db.BackupRetentionPeriod}`);
  }
  shop.log(`${names.db_instance}: automated backups kept ${RETENTION_DAYS} days`);

  const { BackupVaultList } = await backup.send(new ListBackupVaultsCommand({}));
  if (!BackupVaultList.some((v) => v.BackupVaultName === names.backup_vault)) {
    await backup.send(new CreateBackupVaultCommand({ BackupVaultName: names.backup_vault }));
  }
  const { BackupPlansList } = await backup.send(new ListBackupPlansCommand({}));
  if (BackupPlansList.some((p) => p.BackupPlanName === names.backup_plan)) return;
  const plan = await backup.send(
    new CreateBackupPlanCommand({
      BackupPlan: {
        BackupPlanName: names.backup_plan,
        Rules: [
          {
            RuleName: "daily",
            TargetBackupVaultName: names.backup_vault,
            ScheduleExpression: "cron(0 3 * * ? *)",
            Lifecycle: { DeleteAfterDays: 35 },
          },
        ],
      },
    }),
  );
  const account = db.DBInstanceArn.split(":")[4];
  const resources = [db.DBInstanceArn];
  for (const table of tables) {
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: table }));
    resources.push(Table.TableArn);
  }
  for (const bucket of buckets) resources.push(`arn:aws:s3:::${bucket}`);
  await backup.send(
    new CreateBackupSelectionCommand({
      BackupPlanId: plan.BackupPlanId,
      BackupSelection: {
        SelectionName: "shop-all",
        IamRoleArn: `arn:aws:iam::${account}:role/service-role/AWSBackupDefaultServiceRole`,
        Resources: resources,
      },
    }),
  );
  shop.log(
    `backup plan ${names.backup_plan} covers ${resources.length} resources, into ${names.backup_vault}`,
  );
});
