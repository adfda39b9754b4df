//! The AWS interlock, without network: destructive steps are refused unless
//! the endpoint is loopback or the account is allowlisted.

use firedrill::stack::{InterlockError, TargetKind, authorize_destructive, parse_allowlist};

const ACCOUNT: &str = "111122223333";

fn allow(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn refuses_a_real_account_without_an_allowlist() {
    let err = authorize_destructive(TargetKind::Aws, None, ACCOUNT, &[]).unwrap_err();
    assert!(matches!(err, InterlockError::NoAllowlist { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(ACCOUNT) && msg.contains("FIREDRILL_AWS_ACCOUNT_ALLOWLIST"),
        "{msg}"
    );
}

#[test]
fn refuses_an_account_that_is_not_listed() {
    let err = authorize_destructive(TargetKind::Aws, None, ACCOUNT, &allow(&["444455556666"])).unwrap_err();
    assert!(matches!(err, InterlockError::NotAllowlisted { .. }), "{err:?}");
}

#[test]
fn refuses_a_non_loopback_endpoint_whose_account_is_not_listed() {
    for endpoint in [
        "http://10.1.2.3:4566",
        "https://s3.us-east-1.amazonaws.com",
        "http://localhost.example.com:4566",
    ] {
        for kind in [TargetKind::Endpoint, TargetKind::Aws, TargetKind::Containers] {
            let err =
                authorize_destructive(kind, Some(endpoint), ACCOUNT, &allow(&["444455556666"])).unwrap_err();
            assert!(
                matches!(err, InterlockError::NotAllowlisted { .. }),
                "{endpoint} {kind:?}: {err:?}"
            );
            assert!(authorize_destructive(kind, Some(endpoint), ACCOUNT, &[]).is_err());
        }
    }
    assert!(matches!(
        authorize_destructive(
            TargetKind::Endpoint,
            Some("::not a url::"),
            ACCOUNT,
            &allow(&[ACCOUNT])
        ),
        Err(InterlockError::BadEndpoint(_))
    ));
}

#[test]
fn allows_loopback_endpoints_and_the_embedded_emulator() {
    for endpoint in [
        "http://127.0.0.1:4566",
        "http://localhost:4566",
        "http://[::1]:4566",
        "http://127.0.0.2",
    ] {
        assert_eq!(
            authorize_destructive(TargetKind::Endpoint, Some(endpoint), ACCOUNT, &[]),
            Ok(()),
            "{endpoint}"
        );
        assert_eq!(
            authorize_destructive(TargetKind::Aws, Some(endpoint), "000000000000", &[]),
            Ok(()),
            "{endpoint}"
        );
    }
    assert_eq!(
        authorize_destructive(TargetKind::Embedded, None, "000000000000", &[]),
        Ok(())
    );
}

#[test]
fn allows_a_listed_account() {
    let list = parse_allowlist("444455556666, 111122223333");
    assert_eq!(
        authorize_destructive(TargetKind::Aws, None, ACCOUNT, &list),
        Ok(())
    );
    assert_eq!(
        authorize_destructive(
            TargetKind::Endpoint,
            Some("https://dynamodb.eu-west-1.amazonaws.com"),
            ACCOUNT,
            &list
        ),
        Ok(())
    );
}
