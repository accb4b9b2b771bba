use crate::support::*;

#[tokio::test]
async fn health_readiness_metrics_and_openapi() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let get = |p: &str| app.client.get(format!("{}{p}", app.url)).send();
        assert_eq!(get("/healthz").await.unwrap().text().await.unwrap(), "ok");
        assert_eq!(get("/readyz").await.unwrap().status().as_u16(), 200);
        let _ = get("/api/v1/me").await.unwrap();
        let metrics = get("/metrics").await.unwrap().text().await.unwrap();
        assert!(metrics.contains("migportal_http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"401\"} 1"), "{metrics}");
        assert!(metrics.contains("migportal_jobs{state=\"pending\"}"), "{metrics}");
        let doc: serde_json::Value = get("/api/v1/openapi.json").await.unwrap().json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let res = get("/").await.unwrap();
        let csp = res.headers().get("content-security-policy").unwrap().to_str().unwrap().to_owned();
        assert!(csp.contains("default-src 'none'"));
        app.stop().await;
    })
    .await;
}
