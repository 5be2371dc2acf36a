//! Provider clients against third-party servers that speak the real wire
//! formats: `@copilotkit/aimock` for the four protocols, PyPI `llmock` for
//! faults, with llmock's own verdict on how the client behaved.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::peers;
use pakchat::domain::{Role, Usage};
use pakchat::providers::{
    ChatRequest, ChatTurn, Endpoint, ErrorKind, ProviderError, ProviderKind, RetryPolicy, StreamEvent, check_key,
    stream_chat,
};

fn request(model: &str, text: &str) -> ChatRequest {
    ChatRequest {
        model: model.to_owned(),
        system: Some("Be brief.".to_owned()),
        turns: vec![ChatTurn::text(Role::User, text)],
        max_tokens: Some(256),
    }
}

/// llmock echoes every text it is sent, system prompt included: send none.
fn echo_request(model: &str) -> ChatRequest {
    ChatRequest { system: None, ..request(model, "tell me about the Indus river") }
}

fn endpoint(kind: ProviderKind, base: String) -> Endpoint {
    Endpoint { kind, base_url: base, api_key: Some(zeroize::Zeroizing::new("sk-test-key".to_owned())), relay: None }
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(3),
        first_byte_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(1),
    }
}

/// What a caller saw: every event, the text, the reasoning, and the result.
struct Outcome {
    events: Vec<StreamEvent>,
    result: Result<(), ProviderError>,
}

impl Outcome {
    fn text(&self) -> String {
        self.events.iter().filter_map(|e| if let StreamEvent::Text(t) = e { Some(t.as_str()) } else { None }).collect()
    }
    fn reasoning(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| if let StreamEvent::Reasoning(t) = e { Some(t.as_str()) } else { None })
            .collect()
    }
    fn usage(&self) -> Option<Usage> {
        self.events.iter().rev().find_map(|e| if let StreamEvent::Usage(u) = e { Some(*u) } else { None })
    }
    fn retries(&self) -> Vec<Duration> {
        self.events
            .iter()
            .filter_map(|e| if let StreamEvent::Retrying { wait, .. } = e { Some(*wait) } else { None })
            .collect()
    }
}

async fn run(endpoint: &Endpoint, req: &ChatRequest, policy: &RetryPolicy) -> Outcome {
    let http = reqwest::Client::new();
    let mut events = Vec::new();
    let result = stream_chat(&http, endpoint, req, policy, tokio::time::sleep, &mut |e| events.push(e)).await;
    Outcome { events, result }
}

fn aimock_endpoints(base: &str) -> Vec<(ProviderKind, Endpoint, &'static str)> {
    vec![
        (ProviderKind::OpenAiCompatible, endpoint(ProviderKind::OpenAiCompatible, format!("{base}/v1")), "gpt-4o-mini"),
        (ProviderKind::Anthropic, endpoint(ProviderKind::Anthropic, base.to_owned()), "claude-test"),
        (ProviderKind::Gemini, endpoint(ProviderKind::Gemini, base.to_owned()), "gemini-2.5-flash"),
        (ProviderKind::Ollama, endpoint(ProviderKind::Ollama, base.to_owned()), "llama3.2"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_four_wire_formats_stream_text_reasoning_and_usage() {
    let server = peers::aimock();
    for (kind, ep, model) in aimock_endpoints(&server.base) {
        let hello = run(&ep, &request(model, "hello"), &fast_policy()).await;
        assert_eq!(hello.result, Ok(()), "{kind:?}");
        assert_eq!(hello.text(), "Hi there, friend! This reply comes in several chunks of text.", "{kind:?}");
        assert!(
            hello.events.iter().filter(|e| matches!(e, StreamEvent::Text(_))).count() > 1,
            "{kind:?}: streamed in pieces"
        );
        assert!(hello.events.iter().any(|e| matches!(e, StreamEvent::Finish(_))), "{kind:?}: finish reason");

        let think = run(&ep, &request(model, "think"), &fast_policy()).await;
        assert_eq!(think.result, Ok(()), "{kind:?}");
        assert_eq!(think.text(), "The answer is 4.", "{kind:?}");
        if kind != ProviderKind::Ollama {
            assert_eq!(think.reasoning(), "2+2 equals 4.", "{kind:?}");
        }

        let usage = run(&ep, &request(model, "usage"), &fast_policy()).await;
        assert_eq!(usage.result, Ok(()), "{kind:?}");
        if kind != ProviderKind::Ollama {
            // aimock always reports zero tokens for Ollama.
            assert_eq!(usage.usage(), Some(Usage { input_tokens: 11, output_tokens: 7 }), "{kind:?}");
        }
    }
}

/// The bodies of the requests aimock received, newest last.
async fn journal(base: &str) -> Vec<serde_json::Value> {
    let text = reqwest::get(format!("{base}/__aimock/journal")).await.unwrap().text().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v.as_array().unwrap().iter().map(|e| e["body"].clone()).collect()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The raw bodies llmock received, oldest first.
async fn llmock_bodies(base: &str) -> Vec<serde_json::Value> {
    let text = reqwest::get(format!("{base}/_llmock/requests")).await.unwrap().text().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["requests"].as_array().unwrap().iter().map(|r| r["body"].clone()).collect()
}

/// Where each format's raw request body can be read back: aimock's journal
/// keeps OpenAI bodies as sent but normalises the others (dropping their
/// image blocks), so Anthropic and Gemini go to llmock, which records raw
/// bodies; no peer records Ollama's, so aimock answers it and its body is
/// checked as built.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_and_pdfs_go_in_each_providers_own_format() {
    use pakchat::domain::FileKind;
    use pakchat::providers::TurnFile;
    let aimock = peers::aimock();
    let llmock = peers::llmock();
    let image = TurnFile { kind: FileKind::Png, name: "chart.png".to_owned(), data: b"\x89PNG-pixels".to_vec() };
    let pdf = TurnFile { kind: FileKind::Pdf, name: "report.pdf".to_owned(), data: b"%PDF-1.7 body".to_vec() };
    let (img, doc) = (b64(&image.data), b64(&pdf.data));
    let text = "hello, what is in the picture?";
    let with_files = |model: &str| {
        let mut req = request(model, text);
        req.turns[0].files = vec![image.clone(), pdf.clone()];
        req
    };

    // OpenAI-compatible, through aimock.
    let ep = endpoint(ProviderKind::OpenAiCompatible, format!("{}/v1", aimock.base));
    assert_eq!(run(&ep, &with_files("gpt-4o-mini"), &fast_policy()).await.result, Ok(()));
    let body = journal(&aimock.base).await.pop().unwrap();
    let parts = &body["messages"][1]["content"];
    assert_eq!(parts[0], serde_json::json!({"type": "text", "text": text}));
    assert_eq!(parts[1]["image_url"]["url"], format!("data:image/png;base64,{img}"));
    assert_eq!(parts[2]["file"]["filename"], "report.pdf");
    assert_eq!(parts[2]["file"]["file_data"], format!("data:application/pdf;base64,{doc}"));

    // Anthropic and Gemini, through llmock.
    let ep = endpoint(ProviderKind::Anthropic, format!("{}/anthropic", llmock.base));
    assert_eq!(run(&ep, &with_files("claude-sonnet-4-5"), &fast_policy()).await.result, Ok(()));
    let ep = endpoint(ProviderKind::Gemini, format!("{}/gemini", llmock.base));
    assert_eq!(run(&ep, &with_files("gemini-2.5-flash"), &fast_policy()).await.result, Ok(()));
    let bodies = llmock_bodies(&llmock.base).await;
    let anthropic = bodies.iter().find(|b| b["model"] == "claude-sonnet-4-5").expect("the Anthropic request");
    let blocks = &anthropic["messages"][0]["content"];
    assert_eq!(blocks[0]["type"], "image");
    assert_eq!(blocks[0]["source"], serde_json::json!({"type": "base64", "media_type": "image/png", "data": img}));
    assert_eq!(blocks[1]["type"], "document");
    assert_eq!(blocks[1]["source"]["data"], doc);
    assert_eq!(blocks[2], serde_json::json!({"type": "text", "text": text}));
    let gemini = bodies.iter().find(|b| b.get("contents").is_some()).expect("the Gemini request");
    let parts = &gemini["contents"][0]["parts"];
    assert_eq!(parts[0]["inline_data"], serde_json::json!({"mime_type": "image/png", "data": img}));
    assert_eq!(parts[1]["inline_data"]["mime_type"], "application/pdf");
    assert_eq!(parts[2]["text"], text);

    // Ollama: answered by aimock; images beside the text, no documents.
    let ep = endpoint(ProviderKind::Ollama, aimock.base.clone());
    assert_eq!(run(&ep, &with_files("llama3.2"), &fast_policy()).await.result, Ok(()));
    let built = pakchat::providers::ollama::request(&ep, &with_files("llama3.2")).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&built.body).unwrap();
    assert_eq!(body["messages"][1]["images"], serde_json::json!([img]));
    assert_eq!(body["messages"][1]["content"], text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_are_made_through_openai_and_imagen() {
    use pakchat::providers::{ImageRequest, generate_images};
    let http = reqwest::Client::new();
    let req = |model: &str, prompt: &str| ImageRequest {
        model: model.to_owned(),
        prompt: prompt.to_owned(),
        size: "1536x1024".to_owned(),
        quality: "high".to_owned(),
        count: 3,
        format: "png".to_owned(),
    };
    // OpenAI's Images API, against llmock (it records raw bodies and answers data URLs).
    let llmock = peers::llmock();
    let ep = endpoint(ProviderKind::OpenAiCompatible, format!("{}/v1", llmock.base));
    let images = generate_images(&http, &ep, &req("gpt-image-1", "a lighthouse"), &fast_policy(), tokio::time::sleep)
        .await
        .unwrap();
    assert_eq!(images.len(), 3);
    assert!(images.iter().all(|i| i.starts_with(b"<svg")), "data URLs decoded");
    let body = llmock_bodies(&llmock.base).await.pop().unwrap();
    assert_eq!(
        (&body["model"], &body["prompt"], &body["n"], &body["size"], &body["quality"], &body["output_format"]),
        (
            &serde_json::json!("gpt-image-1"),
            &serde_json::json!("a lighthouse"),
            &serde_json::json!(3),
            &serde_json::json!("1536x1024"),
            &serde_json::json!("high"),
            &serde_json::json!("png")
        )
    );
    // Imagen's predict, against aimock's fixture of two PNGs.
    let aimock = peers::aimock();
    let ep = endpoint(ProviderKind::Gemini, aimock.base.clone());
    let images =
        generate_images(&http, &ep, &req("imagen-4.0-generate-001", "a red fox"), &fast_policy(), tokio::time::sleep)
            .await
            .unwrap();
    assert_eq!(images.len(), 2);
    assert!(images.iter().all(|i| i.starts_with(b"\x89PNG")));
    // A provider that makes no images says so.
    let ep = endpoint(ProviderKind::Anthropic, aimock.base.clone());
    let err = generate_images(&http, &ep, &req("claude", "x"), &fast_policy(), tokio::time::sleep).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest);
}

/// A one-route server answering Gemini `generateContent` with an image
/// part, as the REST reference shows it (`inlineData`): no peer we have
/// makes Gemini's image answers. Returns its base URL and the bodies it got.
fn gemini_image_server(png: &[u8]) -> (String, std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>) {
    use base64::Engine as _;
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = bodies.clone();
    let data = base64::engine::general_purpose::STANDARD.encode(png);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            seen.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
            let answer = serde_json::json!({"candidates": [{"content": {"role": "model", "parts": [
                {"text": "A lighthouse at dusk."},
                {"inlineData": {"mimeType": "image/png", "data": data}},
            ]}, "finishReason": "STOP"}]})
            .to_string();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                answer.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(answer.as_bytes()).unwrap();
        }
    });
    (base, bodies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemini_image_models_are_asked_for_an_image_answer_once_per_image() {
    use pakchat::providers::{ImageRequest, generate_images};
    let http = reqwest::Client::new();
    let req = ImageRequest {
        model: "gemini-2.5-flash-image".to_owned(),
        prompt: "a lighthouse".to_owned(),
        size: "1536x1024".to_owned(),
        quality: "auto".to_owned(),
        count: 2,
        format: "png".to_owned(),
    };
    // llmock speaks generateContent but answers in words: the user is told
    // what the model said instead, and its record shows what was asked.
    let llmock = peers::llmock();
    let ep = endpoint(ProviderKind::Gemini, format!("{}/gemini", llmock.base));
    let err = generate_images(&http, &ep, &req, &fast_policy(), tokio::time::sleep).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Malformed);
    assert!(err.message.starts_with("the model answered in words, not with an image: “"), "{}", err.message);
    let bodies = llmock_bodies(&llmock.base).await;
    assert_eq!(bodies.len(), 2, "one call per image");
    for body in &bodies {
        assert_eq!(body["contents"][0]["parts"][0]["text"], "a lighthouse");
        assert_eq!(body["generationConfig"]["responseModalities"], serde_json::json!(["TEXT", "IMAGE"]));
        assert_eq!(body["generationConfig"]["imageConfig"]["aspectRatio"], "4:3");
    }
    // An answer with image parts gives one image per call.
    let mut png = Vec::new();
    image::RgbImage::from_pixel(8, 6, image::Rgb([200, 40, 40]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let (base, got) = gemini_image_server(&png);
    let ep = endpoint(ProviderKind::Gemini, base);
    let images = generate_images(&http, &ep, &req, &fast_policy(), tokio::time::sleep).await.unwrap();
    assert_eq!(images, vec![png.clone(), png]);
    assert_eq!(got.lock().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_errors_have_kinds_and_only_retryable_ones_are_retried() {
    let server = peers::aimock();
    for (kind, ep, model) in aimock_endpoints(&server.base) {
        let limited = run(&ep, &request(model, "ratelimit"), &fast_policy()).await;
        let err = limited.result.clone().unwrap_err();
        assert_eq!(err.kind, ErrorKind::RateLimit, "{kind:?}");
        // Asked to wait 7 s, longer than we wait on our own: the user gets the countdown.
        assert_eq!(err.retry_after, Some(Duration::from_secs(7)), "{kind:?}");
        assert!(limited.retries().is_empty(), "{kind:?}");

        let bad_key = run(&ep, &request(model, "badkey"), &fast_policy()).await;
        let err = bad_key.result.clone().unwrap_err();
        assert_eq!((err.kind, err.status), (ErrorKind::Auth, Some(401)), "{kind:?}");
        assert!(err.message.contains("Invalid API key"), "{kind:?}: {}", err.message);
        assert!(bad_key.retries().is_empty(), "auth errors are not retried");

        let boom = run(&ep, &request(model, "boom"), &fast_policy()).await;
        assert_eq!(boom.result.clone().unwrap_err().kind, ErrorKind::Overloaded, "{kind:?}");
        assert_eq!(boom.retries().len(), 2, "{kind:?}: retried up to the policy's limit");

        let unknown = run(&ep, &request(model, "no fixture for this"), &fast_policy()).await;
        assert_eq!(unknown.result.clone().unwrap_err().kind, ErrorKind::NotFound, "{kind:?}");
        assert!(unknown.retries().is_empty());
    }
}

async fn scenario(base: &str, behaviors: serde_json::Value) {
    let http = reqwest::Client::new();
    let r = http.post(format!("{base}/_llmock/reset")).send().await.unwrap();
    assert!(r.status().is_success());
    let r = http
        .post(format!("{base}/_llmock/scenario"))
        .body(serde_json::json!({ "behaviors": behaviors }).to_string())
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "scenario rejected: {}", r.text().await.unwrap());
}

async fn verdict(base: &str) -> serde_json::Value {
    let text = reqwest::get(format!("{base}/_llmock/verdict")).await.unwrap().text().await.unwrap();
    serde_json::from_str(&text).unwrap()
}

async fn assert_verdict_passes(base: &str, what: &str) {
    let v = verdict(base).await;
    assert_eq!(v["passed"], serde_json::json!(true), "{what}: llmock verdict {v:#}");
    assert_eq!(v["errors"], serde_json::json!(0), "{what}: llmock verdict {v:#}");
}

fn llmock_endpoints(base: &str) -> Vec<(Endpoint, &'static str)> {
    vec![
        (endpoint(ProviderKind::OpenAiCompatible, format!("{base}/v1")), "gpt-4o-mini"),
        (endpoint(ProviderKind::Anthropic, format!("{base}/anthropic")), "claude-sonnet-4-5"),
        (endpoint(ProviderKind::Gemini, format!("{base}/gemini")), "gemini-2.5-flash"),
    ]
}

const ECHO: &str = "Hello! You said: tell me about the Indus river";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_waited_out_as_asked_then_the_reply_arrives() {
    let server = peers::llmock();
    for (ep, model) in llmock_endpoints(&server.base) {
        scenario(&server.base, serde_json::json!([{"type": "fail", "status": 429, "retry_after": 1.2}])).await;
        let started = std::time::Instant::now();
        let out = run(&ep, &echo_request(model), &fast_policy()).await;
        assert_eq!(out.result, Ok(()), "{:?}", ep.kind);
        assert_eq!(out.text(), ECHO, "{:?}", ep.kind);
        assert_eq!(out.retries(), vec![Duration::from_millis(1200)], "{:?}", ep.kind);
        assert!(started.elapsed() >= Duration::from_millis(1200));
        assert_verdict_passes(&server.base, "429").await;
    }
}

/// A fault after text arrived: the partial text is delivered, the error says
/// what happened, nothing is retried behind the user's back; the user's Retry
/// (the same request again) then gets the whole reply.
/// Returns the partial text the fault left.
async fn fault_then_user_retry(
    base: &str,
    ep: &Endpoint,
    model: &str,
    fault: serde_json::Value,
    expected: ErrorKind,
) -> String {
    scenario(base, serde_json::json!([fault])).await;
    let req = echo_request(model);
    let first = run(ep, &req, &fast_policy()).await;
    let err = first.result.as_ref().unwrap_err();
    assert_eq!(err.kind, expected, "{:?} {fault}: {err}", ep.kind);
    assert!(!first.text().is_empty(), "{:?} {fault}: partial text kept", ep.kind);
    assert!(ECHO.starts_with(&first.text()), "{:?} {fault}: partial text is a prefix, got {:?}", ep.kind, first.text());
    assert!(first.retries().is_empty(), "no automatic retry after a token");
    let second = run(ep, &req, &fast_policy()).await;
    assert_eq!(second.result, Ok(()));
    assert_eq!(second.text(), ECHO);
    assert_verdict_passes(base, &fault.to_string()).await;
    first.text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_truncation_malformed_events_and_stalls_end_in_the_right_state() {
    let server = peers::llmock();
    let (openai, model) = llmock_endpoints(&server.base).remove(0);
    let base = server.base.as_str();
    let mut partials = Vec::new();
    for (fault, expected) in [
        (serde_json::json!({"type": "stream_fault", "kind": "disconnect", "after_chunks": 3}), ErrorKind::Network),
        (serde_json::json!({"type": "stream_fault", "kind": "truncate", "after_chunks": 3}), ErrorKind::Truncated),
        (serde_json::json!({"type": "stream_fault", "kind": "malformed", "after_chunks": 3}), ErrorKind::Malformed),
        (
            serde_json::json!({"type": "stream_fault", "kind": "stall", "after_chunks": 3, "stall_seconds": 4}),
            ErrorKind::Timeout,
        ),
    ] {
        partials.push(fault_then_user_retry(base, &openai, model, fault, expected).await);
    }
    for (ep, model) in llmock_endpoints(base).into_iter().skip(1) {
        // Anthropic sends message_start, content_block_start and ping before text.
        let after = if ep.kind == ProviderKind::Anthropic { 5 } else { 2 };
        let partial = fault_then_user_retry(
            base,
            &ep,
            model,
            serde_json::json!({"type": "stream_fault", "kind": "truncate", "after_chunks": after}),
            ErrorKind::Truncated,
        )
        .await;
        partials.push(partial);
    }
    // What the user saw each time: the start of the reply, never all of it.
    assert_eq!(partials.len(), 6);
    for partial in &partials {
        assert!(!partial.is_empty() && partial.len() < ECHO.len() && ECHO.starts_with(partial.as_str()), "{partial:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_before_the_first_token_are_retried_automatically() {
    let server = peers::llmock();
    let (openai, model) = llmock_endpoints(&server.base).remove(0);
    for fault in [
        serde_json::json!({"type": "fail", "status": 503}),
        // Chunk 0 is the role chunk without text: cut right after it.
        serde_json::json!({"type": "stream_fault", "kind": "truncate", "after_chunks": 1}),
        serde_json::json!({"type": "stream_fault", "kind": "disconnect", "after_chunks": 1}),
    ] {
        scenario(&server.base, serde_json::json!([fault])).await;
        let out = run(&openai, &echo_request(model), &fast_policy()).await;
        assert_eq!(out.result, Ok(()), "{fault}");
        assert_eq!(out.text(), ECHO, "{fault}");
        assert_eq!(out.retries().len(), 1, "{fault}");
        assert_verdict_passes(&server.base, &fault.to_string()).await;
    }
    // A 400 is the request's fault: never retried.
    scenario(&server.base, serde_json::json!([{"type": "fail", "status": 400}])).await;
    let out = run(&openai, &echo_request(model), &fast_policy()).await;
    assert_eq!(out.result.clone().unwrap_err().kind, ErrorKind::BadRequest);
    assert!(out.retries().is_empty());
    assert_verdict_passes(&server.base, "400").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_key_accepts_a_good_key_and_names_a_bad_one() {
    let guarded = peers::aimock_with_keys(Some("right-key"));
    let http = reqwest::Client::new();
    let with_key = |kind, base: String, key: &str| Endpoint {
        kind,
        base_url: base,
        api_key: Some(zeroize::Zeroizing::new(key.to_owned())),
        relay: None,
    };
    let openai = |key: &str| with_key(ProviderKind::OpenAiCompatible, format!("{}/v1", guarded.base), key);
    assert_eq!(check_key(&http, &openai("right-key"), tokio::time::sleep).await, Ok(()));
    let err = check_key(&http, &openai("wrong-key"), tokio::time::sleep).await.unwrap_err();
    assert_eq!((err.kind, err.status), (ErrorKind::Auth, Some(401)));
    assert!(err.message.contains("Invalid API key"), "{}", err.message);
    let anthropic = with_key(ProviderKind::Anthropic, guarded.base.clone(), "wrong-key");
    assert_eq!(check_key(&http, &anthropic, tokio::time::sleep).await.unwrap_err().kind, ErrorKind::Auth);

    // Gemini's and Anthropic's model listings, as llmock serves them.
    let llmock = peers::llmock();
    let gemini = with_key(ProviderKind::Gemini, format!("{}/gemini", llmock.base), "k");
    assert_eq!(check_key(&http, &gemini, tokio::time::sleep).await, Ok(()));
    let anthropic = with_key(ProviderKind::Anthropic, format!("{}/anthropic", llmock.base), "k");
    assert_eq!(check_key(&http, &anthropic, tokio::time::sleep).await, Ok(()));
    // Ollama's tags, as aimock serves them; nothing listens on a closed port.
    let plain = peers::aimock();
    let ollama = with_key(ProviderKind::Ollama, plain.base.clone(), "");
    assert_eq!(check_key(&http, &ollama, tokio::time::sleep).await, Ok(()));
    let closed = with_key(ProviderKind::Ollama, "http://127.0.0.1:9".to_owned(), "");
    assert_eq!(check_key(&http, &closed, tokio::time::sleep).await.unwrap_err().kind, ErrorKind::Network);
}
