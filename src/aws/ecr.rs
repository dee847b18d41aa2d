//! ECR's `GetAuthorizationToken`: the registry password a `docker login` to ECR uses, for
//! reading the deployed image by digest.

use anyhow::{anyhow, Result};
use base64::Engine;
use serde::Deserialize;

use super::{ApiError, Aws};

impl Aws {
    /// `GetAuthorizationToken` for `account`'s registry (the caller's own without one) →
    /// (user, password), the token's two halves.
    pub async fn ecr_authorization_token(&self, account: Option<&str>) -> Result<(String, String)> {
        let body = match account {
            Some(a) => serde_json::json!({ "registryIds": [a] }).to_string(),
            None => "{}".to_string(),
        };
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            (
                "x-amz-target",
                "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
            ),
        ];
        let text = self
            .send("POST", "ecr", "/", &headers, body.as_bytes())
            .await
            .map_err(|e| match e.downcast_ref::<ApiError>() {
                Some(a) => anyhow!("ECR GetAuthorizationToken answered {a}"),
                None => anyhow!("ECR GetAuthorizationToken: {e:#}"),
            })?;
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Out {
            authorization_data: Vec<Data>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            authorization_token: String,
        }
        let out: Out = serde_json::from_slice(&text)
            .map_err(|e| anyhow!("ECR GetAuthorizationToken: unexpected answer: {e}"))?;
        let tok = out
            .authorization_data
            .first()
            .ok_or_else(|| anyhow!("ECR GetAuthorizationToken returned no authorization data"))?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(tok.authorization_token.trim())
            .map_err(|_| anyhow!("ECR GetAuthorizationToken: the token is not base64"))?;
        let raw = String::from_utf8_lossy(&raw);
        let (u, p) = raw
            .split_once(':')
            .ok_or_else(|| anyhow!("ECR GetAuthorizationToken: the token is not user:password"))?;
        Ok((u.to_string(), p.to_string()))
    }
}
