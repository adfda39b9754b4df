//! Integration tests: the official aws-sdk-dynamodb (and the AWS CLI, when
//! installed) against an in-process emulator serving DynamoDB.

mod backups;
mod cli;
mod common;
mod describe;
mod errors;
mod items;
mod legacy;
mod pitr;
mod restore_time;
mod streams;
mod tables;
mod validation;
