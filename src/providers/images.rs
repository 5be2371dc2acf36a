//! Image generation: OpenAI's Images API (`/images/generations`, images as
//! base64 or URLs) and Google's Imagen (`models/{model}:predict`). One call,
//! no stream; retried with backoff like a chat request that has not started.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Endpoint, ErrorKind, ProviderError, ProviderKind};

/// What to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRequest {
    /// Model id, e.g. `gpt-image-1` or `imagen-4.0-generate-001`.
    pub model: String,
    /// What the image shows.
    pub prompt: String,
    /// Pixel size, e.g. `1024x1024` (Imagen takes the aspect ratio of it).
    pub size: String,
    /// `low`, `medium`, `high` or `auto` (OpenAI only).
    pub quality: String,
    /// How many, 1 to 4.
    pub count: u8,
    /// `png`, `jpeg` or `webp` (OpenAI only; Imagen answers PNG).
    pub format: String,
}

/// The aspect ratio Imagen accepts nearest to `size` ("1536x1024" → "3:2" → "4:3").
fn aspect_ratio(size: &str) -> &'static str {
    let Some((w, h)) = size.split_once('x').and_then(|(w, h)| Some((w.parse::<f32>().ok()?, h.parse::<f32>().ok()?)))
    else {
        return "1:1";
    };
    let r = w / h.max(1.0);
    [("1:1", 1.0), ("4:3", 4.0 / 3.0), ("3:4", 0.75), ("16:9", 16.0 / 9.0), ("9:16", 9.0 / 16.0)]
        .into_iter()
        .min_by(|a, b| (a.1 - r).abs().total_cmp(&(b.1 - r).abs()))
        .map_or("1:1", |(name, _)| name)
}

fn decode_b64(text: &str) -> Result<Vec<u8>, ProviderError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| ProviderError::new(ErrorKind::Malformed, format!("an image came back damaged: {e}")))
}

/// Make images; returns their bytes (still to be checked like any file).
///
/// # Errors
/// What the provider or the network said, with its kind.
pub async fn generate_images<S, F>(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    req: &ImageRequest,
    policy: &super::RetryPolicy,
    sleep: S,
) -> Result<Vec<Vec<u8>>, ProviderError>
where
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let base = super::trim_base(&endpoint.base_url);
    let key = endpoint.api_key.as_ref().map(|k| k.as_str().to_owned()).unwrap_or_default();
    let count = req.count.clamp(1, 4);
    let (url, body) = match endpoint.kind {
        ProviderKind::OpenAiCompatible => (
            format!("{base}/images/generations"),
            json!({
                "model": req.model, "prompt": req.prompt, "n": count, "size": req.size,
                "quality": req.quality, "output_format": req.format,
            }),
        ),
        ProviderKind::Gemini => (
            format!("{base}/v1beta/models/{}:predict", req.model),
            json!({
                "instances": [{"prompt": req.prompt}],
                "parameters": {"sampleCount": count, "aspectRatio": aspect_ratio(&req.size)},
            }),
        ),
        ProviderKind::Anthropic | ProviderKind::Ollama => {
            return Err(ProviderError::new(ErrorKind::BadRequest, "this provider does not make images"));
        }
    };
    let body = super::to_body(&body)?;
    let mut retries = 0;
    loop {
        let builder = match endpoint.kind {
            ProviderKind::Gemini => http.post(&url).header("x-goog-api-key", &key),
            _ => http.post(&url).bearer_auth(&key),
        };
        let result = async {
            let response = tokio::select! {
                r = builder.header("content-type", "application/json").body(body.clone()).send() => {
                    r.map_err(super::client::network)?
                }
                () = sleep(policy.first_byte_timeout.max(Duration::from_secs(120))) => {
                    return Err(ProviderError::new(ErrorKind::Timeout, "no images within two minutes"));
                }
            };
            let status = response.status().as_u16();
            let wait = super::client::retry_after(response.headers());
            let text = response.text().await.map_err(super::client::network)?;
            if !(200..300).contains(&status) {
                return Err(ProviderError::from_status(status, &text, wait));
            }
            let v: Value = serde_json::from_str(&text)
                .map_err(|e| ProviderError::new(ErrorKind::Malformed, format!("the answer is not JSON: {e}")))?;
            Ok(v)
        }
        .await;
        let v = match result {
            Ok(v) => v,
            Err(e) if e.kind.is_retryable() && retries < policy.max_retries => {
                let wait = match e.retry_after {
                    Some(asked) if asked > policy.max_retry_after => return Err(e),
                    Some(asked) => asked,
                    None => policy.backoff(retries + 1),
                };
                retries += 1;
                sleep(wait).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut images = Vec::new();
        match endpoint.kind {
            ProviderKind::Gemini => {
                for p in v["predictions"].as_array().into_iter().flatten() {
                    if let Some(b) = p["bytesBase64Encoded"].as_str() {
                        images.push(decode_b64(b)?);
                    }
                }
            }
            _ => {
                for d in v["data"].as_array().into_iter().flatten() {
                    if let Some(b) = d["b64_json"].as_str() {
                        images.push(decode_b64(b)?);
                    } else if let Some(data) = d["url"].as_str().and_then(|u| u.strip_prefix("data:")) {
                        // An inline data URL: `data:<mime>;base64,<bytes>`.
                        let b64 = data.split_once(";base64,").map(|(_, b)| b).ok_or_else(|| {
                            ProviderError::new(ErrorKind::Malformed, "an image came back as a data URL without base64")
                        })?;
                        images.push(decode_b64(b64)?);
                    } else if let Some(u) = d["url"].as_str() {
                        let bytes = http.get(u).send().await.map_err(super::client::network)?;
                        images.push(bytes.bytes().await.map_err(super::client::network)?.to_vec());
                    }
                }
            }
        }
        if images.is_empty() {
            return Err(ProviderError::new(ErrorKind::Malformed, "the provider answered without an image"));
        }
        return Ok(images);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_map_to_the_nearest_imagen_aspect_ratio() {
        assert_eq!(super::aspect_ratio("1024x1024"), "1:1");
        assert_eq!(super::aspect_ratio("1536x1024"), "4:3");
        assert_eq!(super::aspect_ratio("1024x1536"), "3:4");
        assert_eq!(super::aspect_ratio("1920x1080"), "16:9");
        assert_eq!(super::aspect_ratio("auto"), "1:1");
    }
}
