//! The serving-configuration operations: Put/Get/DeleteBucketCors,
//! Put/Get/DeleteBucketWebsite, Put/GetBucketLogging,
//! Put/GetBucketAccelerateConfiguration, Put/GetBucketRequestPayment and
//! Put/GetBucketNotificationConfiguration, converted to and from the
//! engine's `engine::configs`, which checks and stores them.
//!
//! Notifications to SNS topics, SQS queues or Lambda functions are not
//! delivered, so a configuration naming one answers `501 NotImplemented`
//! rather than being stored and silently never sent; an empty
//! configuration, or one that only turns EventBridge on, is stored.
//! Logging `TargetGrants` are refused as S3 refuses them for a target
//! bucket with ACLs disabled (`AccessControlListNotSupported`), and
//! answer `501` for a target with ACLs enabled (grants are not stored).

use super::ops::err;
use super::{Handler, OrS3, info};
use crate::engine::configs::{
    CorsRule, LogKeyFormat, Logging, RoutingCondition, RoutingRule, Website, WebsiteRedirect,
};
use crate::error::S3EngineError;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

fn cors_from(rules: &[CORSRule]) -> Vec<CorsRule> {
    rules
        .iter()
        .map(|r| CorsRule {
            id: r.id.clone(),
            allowed_methods: r.allowed_methods.clone(),
            allowed_origins: r.allowed_origins.clone(),
            allowed_headers: r.allowed_headers.clone().unwrap_or_default(),
            expose_headers: r.expose_headers.clone().unwrap_or_default(),
            max_age_seconds: r.max_age_seconds,
        })
        .collect()
}

fn non_empty(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn cors_to(rules: &[CorsRule]) -> Vec<CORSRule> {
    rules
        .iter()
        .map(|r| CORSRule {
            id: r.id.clone(),
            allowed_methods: r.allowed_methods.clone(),
            allowed_origins: r.allowed_origins.clone(),
            allowed_headers: non_empty(&r.allowed_headers),
            expose_headers: non_empty(&r.expose_headers),
            max_age_seconds: r.max_age_seconds,
        })
        .collect()
}

fn redirect_from(r: &Redirect) -> WebsiteRedirect {
    WebsiteRedirect {
        host_name: r.host_name.clone(),
        protocol: r.protocol.as_ref().map(|p| p.as_str().to_owned()),
        http_redirect_code: r.http_redirect_code.clone(),
        replace_key_prefix_with: r.replace_key_prefix_with.clone(),
        replace_key_with: r.replace_key_with.clone(),
    }
}

fn redirect_to(r: &WebsiteRedirect) -> Redirect {
    Redirect {
        host_name: r.host_name.clone(),
        http_redirect_code: r.http_redirect_code.clone(),
        protocol: r.protocol.clone().map(Protocol::from),
        replace_key_prefix_with: r.replace_key_prefix_with.clone(),
        replace_key_with: r.replace_key_with.clone(),
    }
}

fn website_from(w: &WebsiteConfiguration) -> Website {
    Website {
        index_suffix: w.index_document.as_ref().map(|d| d.suffix.clone()),
        error_key: w.error_document.as_ref().map(|d| d.key.clone()),
        redirect_all: w.redirect_all_requests_to.as_ref().map(|r| WebsiteRedirect {
            host_name: Some(r.host_name.clone()),
            protocol: r.protocol.as_ref().map(|p| p.as_str().to_owned()),
            ..WebsiteRedirect::default()
        }),
        routing_rules: w.routing_rules.as_ref().map(|rules| {
            rules
                .iter()
                .map(|r| RoutingRule {
                    condition: r.condition.as_ref().map(|c| RoutingCondition {
                        http_error_code_returned_equals: c.http_error_code_returned_equals.clone(),
                        key_prefix_equals: c.key_prefix_equals.clone(),
                    }),
                    redirect: redirect_from(&r.redirect),
                })
                .collect()
        }),
    }
}

fn website_to(w: &Website) -> GetBucketWebsiteOutput {
    GetBucketWebsiteOutput {
        error_document: w.error_key.clone().map(|key| ErrorDocument { key }),
        index_document: w.index_suffix.clone().map(|suffix| IndexDocument { suffix }),
        redirect_all_requests_to: w.redirect_all.as_ref().map(|r| RedirectAllRequestsTo {
            host_name: r.host_name.clone().unwrap_or_default(),
            protocol: r.protocol.clone().map(Protocol::from),
        }),
        routing_rules: w.routing_rules.as_ref().map(|rules| {
            rules
                .iter()
                .map(|r| s3s::dto::RoutingRule {
                    condition: r.condition.as_ref().map(|c| Condition {
                        http_error_code_returned_equals: c.http_error_code_returned_equals.clone(),
                        key_prefix_equals: c.key_prefix_equals.clone(),
                    }),
                    redirect: redirect_to(&r.redirect),
                })
                .collect()
        }),
    }
}

fn logging_from(l: &LoggingEnabled) -> Logging {
    let key_format = match &l.target_object_key_format {
        None => LogKeyFormat::Unset,
        Some(TargetObjectKeyFormat {
            partitioned_prefix: Some(p),
            ..
        }) => LogKeyFormat::Partitioned(p.partition_date_source.as_ref().map(|s| s.as_str().to_owned())),
        Some(_) => LogKeyFormat::Simple,
    };
    Logging {
        target_bucket: l.target_bucket.clone(),
        target_prefix: l.target_prefix.clone(),
        key_format,
    }
}

fn logging_to(l: &Logging) -> LoggingEnabled {
    let target_object_key_format = match &l.key_format {
        LogKeyFormat::Unset => None,
        LogKeyFormat::Simple => Some(TargetObjectKeyFormat {
            partitioned_prefix: None,
            simple_prefix: Some(SimplePrefix {}),
        }),
        LogKeyFormat::Partitioned(source) => Some(TargetObjectKeyFormat {
            partitioned_prefix: Some(PartitionedPrefix {
                partition_date_source: source.clone().map(PartitionDateSource::from),
            }),
            simple_prefix: None,
        }),
    };
    LoggingEnabled {
        target_bucket: l.target_bucket.clone(),
        target_grants: None,
        target_object_key_format,
        target_prefix: l.target_prefix.clone(),
    }
}

impl Handler {
    /// PutBucketCors.
    pub(super) fn put_cors(
        &self,
        req: S3Request<PutBucketCorsInput>,
    ) -> S3Result<S3Response<PutBucketCorsOutput>> {
        let i = info(&req);
        let input = req.input;
        let rules = cors_from(&input.cors_configuration.cors_rules);
        self.engine
            .put_cors(&input.bucket, Some(&i.region), rules)
            .or_s3(&i)?;
        Ok(S3Response::new(PutBucketCorsOutput::default()))
    }

    /// GetBucketCors.
    pub(super) fn get_cors(
        &self,
        req: S3Request<GetBucketCorsInput>,
    ) -> S3Result<S3Response<GetBucketCorsOutput>> {
        let i = info(&req);
        let rules = self.engine.cors(&req.input.bucket, Some(&i.region)).or_s3(&i)?;
        Ok(S3Response::new(GetBucketCorsOutput {
            cors_rules: Some(cors_to(&rules)),
        }))
    }

    /// DeleteBucketCors (204).
    pub(super) fn delete_cors(
        &self,
        req: S3Request<DeleteBucketCorsInput>,
    ) -> S3Result<S3Response<DeleteBucketCorsOutput>> {
        let i = info(&req);
        self.engine
            .delete_cors(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(DeleteBucketCorsOutput::default()))
    }

    /// PutBucketWebsite.
    pub(super) fn put_website(
        &self,
        req: S3Request<PutBucketWebsiteInput>,
    ) -> S3Result<S3Response<PutBucketWebsiteOutput>> {
        let i = info(&req);
        let input = req.input;
        let website = website_from(&input.website_configuration);
        self.engine
            .put_website(&input.bucket, Some(&i.region), website)
            .or_s3(&i)?;
        Ok(S3Response::new(PutBucketWebsiteOutput::default()))
    }

    /// GetBucketWebsite.
    pub(super) fn get_website(
        &self,
        req: S3Request<GetBucketWebsiteInput>,
    ) -> S3Result<S3Response<GetBucketWebsiteOutput>> {
        let i = info(&req);
        let w = self
            .engine
            .website(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(website_to(&w)))
    }

    /// DeleteBucketWebsite (204).
    pub(super) fn delete_website(
        &self,
        req: S3Request<DeleteBucketWebsiteInput>,
    ) -> S3Result<S3Response<DeleteBucketWebsiteOutput>> {
        let i = info(&req);
        self.engine
            .delete_website(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(DeleteBucketWebsiteOutput::default()))
    }

    /// PutBucketLogging: `LoggingEnabled` turns logging on, its absence off.
    pub(super) fn put_logging(
        &self,
        req: S3Request<PutBucketLoggingInput>,
    ) -> S3Result<S3Response<PutBucketLoggingOutput>> {
        let i = info(&req);
        let input = req.input;
        let enabled = input.bucket_logging_status.logging_enabled.as_ref();
        if let Some(l) = enabled
            && l.target_grants.as_ref().is_some_and(|g| !g.is_empty())
        {
            self.engine
                .check_writable(&input.bucket, Some(&i.region))
                .or_s3(&i)?;
            let e = if self.engine.acls_disabled(&l.target_bucket) {
                S3EngineError::AccessControlListNotSupported(
                    "The target bucket does not allow ACLs".to_owned(),
                )
            } else {
                S3EngineError::Unsupported(
                    "PutBucketLogging with TargetGrants is not supported by firedrill's S3 emulator"
                        .to_owned(),
                )
            };
            return Err(err(e, &i));
        }
        self.engine
            .put_logging(&input.bucket, Some(&i.region), enabled.map(logging_from))
            .or_s3(&i)?;
        Ok(S3Response::new(PutBucketLoggingOutput::default()))
    }

    /// GetBucketLogging: an empty status when logging is off.
    pub(super) fn get_logging(
        &self,
        req: S3Request<GetBucketLoggingInput>,
    ) -> S3Result<S3Response<GetBucketLoggingOutput>> {
        let i = info(&req);
        let c = self
            .engine
            .configs(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(GetBucketLoggingOutput {
            logging_enabled: c.logging.as_ref().map(logging_to),
        }))
    }

    /// PutBucketAccelerateConfiguration.
    pub(super) fn put_accelerate(
        &self,
        req: S3Request<PutBucketAccelerateConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketAccelerateConfigurationOutput>> {
        let i = info(&req);
        let input = req.input;
        let status = input.accelerate_configuration.status.as_ref().map(|s| s.as_str());
        self.engine
            .put_accelerate(&input.bucket, Some(&i.region), status)
            .or_s3(&i)?;
        Ok(S3Response::new(PutBucketAccelerateConfigurationOutput::default()))
    }

    /// GetBucketAccelerateConfiguration: no status until one is put.
    pub(super) fn get_accelerate(
        &self,
        req: S3Request<GetBucketAccelerateConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketAccelerateConfigurationOutput>> {
        let i = info(&req);
        let c = self
            .engine
            .configs(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(GetBucketAccelerateConfigurationOutput {
            request_charged: None,
            status: c.accelerate.map(BucketAccelerateStatus::from),
        }))
    }

    /// PutBucketRequestPayment.
    pub(super) fn put_payer(
        &self,
        req: S3Request<PutBucketRequestPaymentInput>,
    ) -> S3Result<S3Response<PutBucketRequestPaymentOutput>> {
        let i = info(&req);
        let input = req.input;
        self.engine
            .put_payer(
                &input.bucket,
                Some(&i.region),
                input.request_payment_configuration.payer.as_str(),
            )
            .or_s3(&i)?;
        Ok(S3Response::new(PutBucketRequestPaymentOutput::default()))
    }

    /// GetBucketRequestPayment: `BucketOwner` until Requester Pays is on.
    pub(super) fn get_payer(
        &self,
        req: S3Request<GetBucketRequestPaymentInput>,
    ) -> S3Result<S3Response<GetBucketRequestPaymentOutput>> {
        let i = info(&req);
        let c = self
            .engine
            .configs(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(GetBucketRequestPaymentOutput {
            payer: Some(Payer::from(c.payer)),
        }))
    }

    /// PutBucketNotificationConfiguration: stored when it names no SNS,
    /// SQS or Lambda destination (see the module documentation).
    pub(super) fn put_notification(
        &self,
        req: S3Request<PutBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketNotificationConfigurationOutput>> {
        let i = info(&req);
        let input = req.input;
        let n = &input.notification_configuration;
        let delivers = n.topic_configurations.as_ref().is_some_and(|v| !v.is_empty())
            || n.queue_configurations.as_ref().is_some_and(|v| !v.is_empty())
            || n.lambda_function_configurations
                .as_ref()
                .is_some_and(|v| !v.is_empty());
        if delivers {
            self.engine
                .check_writable(&input.bucket, Some(&i.region))
                .or_s3(&i)?;
            return Err(err(
                S3EngineError::Unsupported(
                    "firedrill's S3 emulator does not deliver event notifications to SNS, SQS or Lambda"
                        .to_owned(),
                ),
                &i,
            ));
        }
        self.engine
            .put_event_bridge(
                &input.bucket,
                Some(&i.region),
                n.event_bridge_configuration.is_some(),
            )
            .or_s3(&i)?;
        Ok(S3Response::new(
            PutBucketNotificationConfigurationOutput::default(),
        ))
    }

    /// GetBucketNotificationConfiguration: empty, or EventBridge on.
    pub(super) fn get_notification(
        &self,
        req: S3Request<GetBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketNotificationConfigurationOutput>> {
        let i = info(&req);
        let c = self
            .engine
            .configs(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(GetBucketNotificationConfigurationOutput {
            event_bridge_configuration: c.event_bridge.then_some(EventBridgeConfiguration {}),
            ..Default::default()
        }))
    }
}
