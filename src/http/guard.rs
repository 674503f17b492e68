//! Checks every MCP request passes before it is handled: `Origin` and `Host`
//! against DNS rebinding, bearer-token authentication (constant-time
//! comparison), a per-client token-bucket rate limit, and the body size
//! limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use futures::{Stream, StreamExt};
use subtle::ConstantTimeEq;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use super::reply;
use crate::config::{HttpConfig, Secret};

/// JSON-RPC code for HTTP-level refusals (auth, origin, limits).
const REFUSED: i32 = -32000;

/// Loopback host names a local server answers to.
fn is_loopback_host(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1")
}

/// `scheme://host[:port]` → host (lowercase, brackets kept for IPv6).
fn origin_host(origin: &str) -> Option<String> {
    let rest = origin.split_once("://")?.1;
    Some(host_without_port(rest).to_ascii_lowercase())
}

/// `host[:port]` → host; `[::1]:80` → `[::1]`.
fn host_without_port(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority.split_inclusive(']').next().unwrap_or(authority);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// Refuses browsers on other sites (`Origin`) and DNS-rebinding hosts
/// (`Host` other than loopback on a loopback server) with 403.
pub fn check_origin(headers: &HeaderMap, config: &HttpConfig) -> Result<(), Box<Response>> {
    if let Some(origin) = headers.get("origin") {
        let origin = origin
            .to_str()
            .unwrap_or("")
            .trim_end_matches('/')
            .to_ascii_lowercase();
        let listed = config
            .allowed_origins
            .iter()
            .any(|allowed| allowed == "*" || *allowed == origin);
        let loopback = origin_host(&origin).is_some_and(|host| is_loopback_host(&host));
        if !(listed || loopback) {
            return Err(Box::new(reply::rpc_error(
                StatusCode::FORBIDDEN,
                REFUSED,
                "forbidden: this Origin is not allowed (set RMCP_ALLOWED_ORIGINS to allow it)",
            )));
        }
    }
    if config.listen.ip().is_loopback() {
        let host = headers
            .get("host")
            .and_then(|host| host.to_str().ok())
            .map(|host| host_without_port(host).to_ascii_lowercase());
        let allowed = match &host {
            None => true,
            Some(host) => {
                is_loopback_host(host)
                    || config
                        .allowed_origins
                        .iter()
                        .any(|origin| origin == "*" || origin_host(origin).as_deref() == Some(host))
            }
        };
        if !allowed {
            return Err(Box::new(reply::rpc_error(
                StatusCode::FORBIDDEN,
                REFUSED,
                "forbidden: this server only answers to localhost (Host header refused)",
            )));
        }
    }
    Ok(())
}

/// Requires `Authorization: Bearer <key>` when keys are configured, and
/// names the credential: `Some("key-<hash>")` (the first 16 hex digits of
/// the key's SHA-256, so logs and state never hold the key), `None` when
/// the server runs without keys.
pub fn check_auth(headers: &HeaderMap, keys: &[Secret]) -> Result<Option<Arc<str>>, Box<Response>> {
    if keys.is_empty() {
        return Ok(None);
    }
    let token = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let Some(token) = token else {
        let response = reply::rpc_error(
            StatusCode::UNAUTHORIZED,
            REFUSED,
            "unauthorized: send Authorization: Bearer <API key>",
        );
        return Err(Box::new(reply::with_header(
            response,
            "www-authenticate",
            "Bearer realm=\"rmcp\"",
        )));
    };
    // Compare against every key so timing does not say which one matched.
    let mut matched = subtle::Choice::from(0);
    for key in keys {
        matched |= key.0.as_bytes().ct_eq(token.as_bytes());
    }
    if bool::from(matched) {
        return Ok(Some(principal_of(token)));
    }
    let response = reply::rpc_error(
        StatusCode::UNAUTHORIZED,
        REFUSED,
        "unauthorized: the API key is not valid",
    );
    Err(Box::new(reply::with_header(
        response,
        "www-authenticate",
        "Bearer realm=\"rmcp\", error=\"invalid_token\"",
    )))
}

/// The opaque name of an API key: who created a task or a workspace.
fn principal_of(token: &str) -> Arc<str> {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(token.as_bytes());
    let hex: String = digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Arc::from(format!("key-{hex}"))
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// A token bucket per client address.
pub struct RateLimiter {
    rate: Option<f64>,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

/// Buckets kept before idle ones are forgotten.
const MAX_BUCKETS: usize = 10_000;

impl RateLimiter {
    pub fn new(rate: Option<f64>, burst: u32) -> RateLimiter {
        RateLimiter {
            rate,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `client`, or says how long until one is free.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        let Some(rate) = self.rate else {
            return Ok(());
        };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            let burst = self.burst;
            buckets.retain(|_, bucket| {
                bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * rate < burst
            });
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }

    /// The 429 response for a client that must wait `wait`.
    pub fn refusal(wait: Duration) -> Response {
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        let response = reply::rpc_error(
            StatusCode::TOO_MANY_REQUESTS,
            REFUSED,
            &format!("too many requests: retry after {seconds} s"),
        );
        reply::with_header(response, "retry-after", &seconds.to_string())
    }
}

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the request body could not be read: {0}")]
    Read(String),
}

impl BodyError {
    pub fn response(&self) -> Response {
        let status = match self {
            BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Read(_) => StatusCode::BAD_REQUEST,
        };
        let mut response = reply::rpc_error(status, REFUSED, &self.to_string());
        // The rest of the body is left unread, so the connection cannot carry
        // another request; say so, or a client would reuse it and fail.
        response.headers_mut().insert(
            warp::http::header::CONNECTION,
            warp::http::HeaderValue::from_static("close"),
        );
        response
    }
}

/// Reads the whole body, refusing more than `limit` bytes (by
/// `Content-Length` up front, or while streaming a chunked body).
pub async fn read_body<S, B>(headers: &HeaderMap, body: S, limit: u64) -> Result<Bytes, BodyError>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let declared = headers
        .get("content-length")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut body = std::pin::pin!(body);
    let mut collected = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|error| BodyError::Read(error.to_string()))?;
        if collected.len() as u64 + chunk.remaining() as u64 > limit {
            return Err(BodyError::TooLarge { limit });
        }
        while chunk.has_remaining() {
            let bytes = chunk.chunk();
            let length = bytes.len();
            collected.extend_from_slice(bytes);
            chunk.advance(length);
        }
    }
    Ok(collected.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header"));
        }
        map
    }

    #[test]
    fn loopback_origins_pass_and_others_are_forbidden() {
        let config = HttpConfig::local(SocketAddr::from(([127, 0, 0, 1], 8000)));
        assert!(check_origin(
            &headers(&[
                ("origin", "http://localhost:3000"),
                ("host", "127.0.0.1:8000")
            ]),
            &config
        )
        .is_ok());
        assert!(check_origin(&headers(&[("origin", "http://[::1]:3000")]), &config).is_ok());
        assert!(
            check_origin(&headers(&[("origin", "https://evil.example.com")]), &config).is_err()
        );
        assert!(check_origin(&headers(&[("host", "evil.example.com")]), &config).is_err());
        let mut allowing = config.clone();
        allowing.allowed_origins = vec!["https://app.example.com".into()];
        assert!(check_origin(
            &headers(&[("origin", "https://app.example.com/")]),
            &allowing
        )
        .is_ok());
    }

    #[test]
    fn bearer_tokens_are_checked() {
        let keys = vec![Secret("0123456789abcdef".into())];
        assert!(check_auth(&headers(&[]), &[]).is_ok());
        assert!(check_auth(
            &headers(&[("authorization", "Bearer 0123456789abcdef")]),
            &keys
        )
        .is_ok());
        assert!(check_auth(
            &headers(&[("authorization", "bearer 0123456789abcdef")]),
            &keys
        )
        .is_ok());
        assert!(check_auth(&headers(&[("authorization", "Bearer nope")]), &keys).is_err());
        assert!(check_auth(&headers(&[]), &keys).is_err());
    }

    #[test]
    fn a_credential_is_named_without_its_key() {
        let keys = vec![
            Secret("0123456789abcdef".into()),
            Secret("fedcba9876543210".into()),
        ];
        let name = |token: &str| {
            check_auth(
                &headers(&[("authorization", &format!("Bearer {token}"))]),
                &keys,
            )
            .ok()
            .flatten()
        };
        let first = name("0123456789abcdef").expect("a name");
        assert!(first.starts_with("key-") && first.len() == 20, "{first}");
        assert!(!first.contains("0123456789abcdef"));
        assert_eq!(name("0123456789abcdef"), Some(first.clone()));
        assert_ne!(name("fedcba9876543210"), Some(first));
        assert_eq!(check_auth(&headers(&[]), &[]).ok().flatten(), None);
    }

    #[test]
    fn the_bucket_refills_at_the_rate() {
        let limiter = RateLimiter::new(Some(1000.0), 2);
        let client = IpAddr::from([127, 0, 0, 1]);
        assert!(limiter.check(client).is_ok());
        assert!(limiter.check(client).is_ok());
        let wait = limiter.check(client).expect_err("empty");
        assert!(wait <= Duration::from_millis(1));
        assert!(RateLimiter::new(None, 1).check(client).is_ok());
    }
}
