//! Provider calls sent through the Pak.Chat server's relay (`POST
//! /v1/relay`, what a web page uses for providers that refuse browsers),
//! natively, against the real server and the real mock providers: the four
//! wire formats stream through it from aimock as they do straight, a key
//! check (a GET) and an image request go through it to llmock, and a
//! provider the server does not relay to is refused with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::peers;
use pakchat::domain::Role;
use pakchat::providers::{
    ChatRequest, ChatTurn, Endpoint, ErrorKind, ImageRequest, ProviderKind, Relay, RetryPolicy, StreamEvent, check_key,
    generate_images, stream_chat,
};

const CLIENT: &str = "pakchat-relay-test";

fn policy() -> RetryPolicy {
    RetryPolicy { max_retries: 0, first_byte_timeout: Duration::from_secs(10), ..RetryPolicy::default() }
}

fn hello(model: &str) -> ChatRequest {
    ChatRequest {
        model: model.to_owned(),
        system: None,
        turns: vec![ChatTurn::text(Role::User, "hello")],
        max_tokens: Some(64),
    }
}

/// The text of a streamed reply, and how many pieces it came in.
async fn reply(endpoint: &Endpoint, req: &ChatRequest) -> Result<(String, usize), pakchat::providers::ProviderError> {
    let http = reqwest::Client::new();
    let mut pieces = Vec::new();
    stream_chat(&http, endpoint, req, &policy(), tokio::time::sleep, &mut |e| {
        if let StreamEvent::Text(t) = e {
            pieces.push(t);
        }
    })
    .await?;
    Ok((pieces.concat(), pieces.len()))
}

fn endpoint(kind: ProviderKind, base: String, relay: Option<Relay>) -> Endpoint {
    Endpoint { kind, base_url: base, api_key: Some(zeroize::Zeroizing::new("sk-relay-test".to_owned())), relay }
}

#[test]
fn provider_calls_go_through_the_servers_relay_as_they_would_go_straight() {
    let idp = peers::oidc_mock();
    let aimock = peers::aimock();
    let llmock = peers::llmock();
    let server = common::server::LocalServer::with_relay(
        &idp.base,
        CLIENT,
        None,
        vec![aimock.base.clone(), llmock.base.clone()],
    );
    let claims = serde_json::json!({ "sub": "ada", "email": "ada@example.com" });
    let token = server.block_on(peers::session_token(&server.base, &idp.base, CLIENT, claims));
    let relay = Relay { server: server.base.clone(), token: zeroize::Zeroizing::new(token) };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        for (kind, base, model) in [
            (ProviderKind::OpenAiCompatible, format!("{}/v1", aimock.base), "gpt-4o-mini"),
            (ProviderKind::Anthropic, aimock.base.clone(), "claude-test"),
            (ProviderKind::Gemini, aimock.base.clone(), "gemini-2.5-flash"),
            (ProviderKind::Ollama, aimock.base.clone(), "llama3.2"),
        ] {
            let straight = reply(&endpoint(kind, base.clone(), None), &hello(model)).await.unwrap();
            let relayed = reply(&endpoint(kind, base, Some(relay.clone())), &hello(model)).await.unwrap();
            assert_eq!(relayed.0, straight.0, "{kind:?}: the same reply through the relay");
            assert!(relayed.1 > 1, "{kind:?}: still streamed in pieces, not gathered: {relayed:?}");
        }

        // A key check lists models (a GET), through the relay too.
        let http = reqwest::Client::new();
        let llm = |relay: Option<Relay>| endpoint(ProviderKind::OpenAiCompatible, format!("{}/v1", llmock.base), relay);
        check_key(&http, &llm(Some(relay.clone())), tokio::time::sleep).await.unwrap();
        let echoed = reply(&llm(Some(relay.clone())), &hello("gpt-4o-mini")).await.unwrap();
        assert!(echoed.0.contains("hello"), "llmock echoes what it got: {echoed:?}");
        let req = ImageRequest {
            model: "gpt-image-1".to_owned(),
            prompt: "a lighthouse".to_owned(),
            size: "1024x1024".to_owned(),
            quality: "low".to_owned(),
            count: 1,
            format: "png".to_owned(),
        };
        let images = generate_images(&http, &llm(Some(relay.clone())), &req, &policy(), tokio::time::sleep).await;
        assert!(!images.unwrap().is_empty(), "images through the relay");

        // A session the server does not know is refused as a key would be.
        let stranger = Relay { server: server.base.clone(), token: zeroize::Zeroizing::new("no-session".to_owned()) };
        let refused = reply(&llm(Some(stranger)), &hello("gpt-4o-mini")).await.unwrap_err();
        assert_eq!(refused.kind, ErrorKind::Auth, "{refused:?}");
    });

    // A server that does not relay to this provider says so, by origin.
    let elsewhere = common::server::LocalServer::with_relay(&idp.base, CLIENT, None, vec![aimock.base.clone()]);
    let claims = serde_json::json!({ "sub": "ada", "email": "ada@example.com" });
    let token = elsewhere.block_on(peers::session_token(&elsewhere.base, &idp.base, CLIENT, claims));
    let relay = Relay { server: elsewhere.base.clone(), token: zeroize::Zeroizing::new(token) };
    let refused = rt
        .block_on(reply(
            &endpoint(ProviderKind::OpenAiCompatible, format!("{}/v1", llmock.base), Some(relay)),
            &hello("m"),
        ))
        .unwrap_err();
    assert!(refused.message.contains(&llmock.base), "{refused:?}");
    assert!(refused.message.contains("--relay-origin"), "{refused:?}");
}
