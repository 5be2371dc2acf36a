//! Image generation: OpenAI's Images API (`/images/generations`, images as
//! base64 or URLs), Google's Imagen (`models/{model}:predict`) and Gemini's
//! own image models (`models/{model}:generateContent` asked for an `IMAGE`
//! answer, one call per image since they make one at a time). No stream;
//! each call is retried with backoff like a chat request that has not
//! started.

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
    let count = req.count.clamp(1, 4);
    match endpoint.kind {
        ProviderKind::OpenAiCompatible => {
            let body = json!({
                "model": req.model, "prompt": req.prompt, "n": count, "size": req.size,
                "quality": req.quality, "output_format": req.format,
            });
            let v = call(http, endpoint, &format!("{base}/images/generations"), &body, policy, &sleep).await?;
            let mut images = Vec::new();
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
            non_empty(images, None)
        }
        ProviderKind::Gemini if is_imagen(&req.model) => {
            let body = json!({
                "instances": [{"prompt": req.prompt}],
                "parameters": {"sampleCount": count, "aspectRatio": aspect_ratio(&req.size)},
            });
            let url = format!("{base}/v1beta/models/{}:predict", req.model);
            let v = call(http, endpoint, &url, &body, policy, &sleep).await?;
            let mut images = Vec::new();
            for p in v["predictions"].as_array().into_iter().flatten() {
                if let Some(b) = p["bytesBase64Encoded"].as_str() {
                    images.push(decode_b64(b)?);
                }
            }
            non_empty(images, None)
        }
        ProviderKind::Gemini => {
            let body = json!({
                "contents": [{"role": "user", "parts": [{"text": req.prompt}]}],
                "generationConfig": {
                    "responseModalities": ["TEXT", "IMAGE"],
                    "imageConfig": {"aspectRatio": aspect_ratio(&req.size)},
                },
            });
            let url = format!("{base}/v1beta/models/{}:generateContent", req.model);
            // One image per answer: `count` calls side by side.
            let calls = (0..count).map(|_| call(http, endpoint, &url, &body, policy, &sleep));
            let answers = futures_util::future::join_all(calls).await;
            let mut images = Vec::new();
            let mut words = None;
            let mut first_error = None;
            for answer in answers {
                match answer {
                    Ok(v) => {
                        let (found, text) = gemini_images(&v)?;
                        images.extend(found);
                        words = words.or(text);
                    }
                    Err(e) => first_error = first_error.or(Some(e)),
                }
            }
            // Some images beat an error; none and an error: the error says why.
            match first_error {
                Some(e) if images.is_empty() => Err(e),
                _ => non_empty(images, words),
            }
        }
        ProviderKind::Anthropic | ProviderKind::Ollama => {
            Err(ProviderError::new(ErrorKind::BadRequest, "this provider does not make images"))
        }
    }
}

/// Imagen models answer `:predict`; the other Gemini image models answer
/// `:generateContent`.
fn is_imagen(model: &str) -> bool {
    model.starts_with("imagen")
}

/// The images in a `generateContent` answer, and the first words it said
/// (a model that declines says why in text). A blocked prompt is an error.
fn gemini_images(v: &Value) -> Result<(Vec<Vec<u8>>, Option<String>), ProviderError> {
    if let Some(reason) = v["promptFeedback"]["blockReason"].as_str() {
        return Err(ProviderError::new(ErrorKind::BadRequest, format!("the prompt was blocked ({reason})")));
    }
    let mut images = Vec::new();
    let mut words: Option<String> = None;
    for candidate in v["candidates"].as_array().into_iter().flatten() {
        for part in candidate["content"]["parts"].as_array().into_iter().flatten() {
            // The REST answer is camelCase; accept the snake_case of the requests too.
            let inline = if part["inlineData"].is_object() { &part["inlineData"] } else { &part["inline_data"] };
            if let Some(data) = inline["data"].as_str() {
                images.push(decode_b64(data)?);
            } else if let Some(text) = part["text"].as_str().filter(|t| !t.trim().is_empty()) {
                words.get_or_insert_with(String::new).push_str(text);
            }
        }
    }
    Ok((images, words))
}

/// The images, or an error that says the provider sent none (with the
/// model's own words when it gave some).
fn non_empty(images: Vec<Vec<u8>>, words: Option<String>) -> Result<Vec<Vec<u8>>, ProviderError> {
    if !images.is_empty() {
        return Ok(images);
    }
    let message = match words {
        Some(w) => {
            let w: String = w.trim().chars().take(300).collect();
            format!("the model answered in words, not with an image: “{w}”")
        }
        None => "the provider answered without an image".to_owned(),
    };
    Err(ProviderError::new(ErrorKind::Malformed, message))
}

/// One JSON call with the retry policy: the answer's JSON, or the error.
async fn call<S, F>(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    url: &str,
    body: &Value,
    policy: &super::RetryPolicy,
    sleep: &S,
) -> Result<Value, ProviderError>
where
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let key = endpoint.api_key.as_ref().map(|k| k.as_str().to_owned()).unwrap_or_default();
    let body = super::to_body(body)?;
    let mut retries = 0;
    loop {
        let builder = match endpoint.kind {
            ProviderKind::Gemini => http.post(url).header("x-goog-api-key", &key),
            _ => http.post(url).bearer_auth(&key),
        };
        let builder = builder.header("content-type", "application/json").body(body.clone());
        let builder =
            super::relay::addressed(http, builder, endpoint.relay.as_ref()).map_err(super::client::network)?;
        let result = async {
            let response = tokio::select! {
                r = builder.send() => {
                    r.map_err(super::client::network)?
                }
                () = sleep(policy.first_byte_timeout.max(Duration::from_secs(120))) => {
                    return Err(ProviderError::new(ErrorKind::Timeout, "no images within two minutes"));
                }
            };
            let status = response.status().as_u16();
            let wait = super::client::retry_after(response.headers());
            let ours = super::relay::from_the_server(endpoint.relay.as_ref(), response.headers());
            let text = response.text().await.map_err(super::client::network)?;
            if !(200..300).contains(&status) && ours {
                return Err(super::relay::refusal(status, &text, wait));
            }
            if !(200..300).contains(&status) {
                return Err(ProviderError::from_status(status, &text, wait));
            }
            serde_json::from_str::<Value>(&text)
                .map_err(|e| ProviderError::new(ErrorKind::Malformed, format!("the answer is not JSON: {e}")))
        }
        .await;
        match result {
            Ok(v) => return Ok(v),
            Err(e) if e.kind.is_retryable() && retries < policy.max_retries => {
                let wait = match e.retry_after {
                    Some(asked) if asked > policy.max_retry_after => return Err(e),
                    Some(asked) => asked,
                    None => policy.backoff(retries + 1),
                };
                retries += 1;
                sleep(wait).await;
            }
            Err(e) => return Err(e),
        }
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

    #[test]
    fn a_gemini_answer_gives_its_images_its_words_or_why_it_was_blocked() {
        let v = serde_json::json!({"candidates": [{"content": {"parts": [
            {"text": "Here is your fox."},
            {"inlineData": {"mimeType": "image/png", "data": "iVBORw0K"}},
        ]}}]});
        let (images, words) = super::gemini_images(&v).unwrap();
        assert_eq!(images, vec![b"\x89PNG\r\n".to_vec()]);
        assert_eq!(words.as_deref(), Some("Here is your fox."));

        let words_only = serde_json::json!({"candidates": [{"content": {"parts": [{"text": "I cannot draw that."}]}}]});
        let (images, words) = super::gemini_images(&words_only).unwrap();
        let err = super::non_empty(images, words).unwrap_err();
        assert_eq!(err.message, "the model answered in words, not with an image: “I cannot draw that.”");

        let blocked = serde_json::json!({"promptFeedback": {"blockReason": "SAFETY"}});
        let err = super::gemini_images(&blocked).unwrap_err();
        assert_eq!((err.kind, err.message.as_str()), (super::ErrorKind::BadRequest, "the prompt was blocked (SAFETY)"));

        let damaged = serde_json::json!({"candidates": [{"content": {"parts": [{"inlineData": {"data": "@@@"}}]}}]});
        assert_eq!(super::gemini_images(&damaged).unwrap_err().kind, super::ErrorKind::Malformed);
    }
}
