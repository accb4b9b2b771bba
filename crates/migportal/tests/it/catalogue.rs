//! The service catalogue over the API (issue 16, first part).

use crate::support::*;

#[tokio::test]
async fn the_catalogue_is_public_and_each_service_has_its_form() {
    let app = TestApp::spawn("sqlite").await;
    let res = app
        .client
        .get(format!("{}/services", app.api))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(status, 200, "{body}");
    let services = body["services"].as_array().unwrap();
    let reference = services
        .iter()
        .find(|s| s["code"] == "address-reference")
        .expect("address-reference is offered");
    assert_eq!(reference["least_level"], "standard");
    assert_eq!(reference["name"]["ru"], "Адресно-справочная информация");
    assert!(
        reference.get("form").is_none(),
        "the list leaves the forms out"
    );

    let res = app
        .client
        .get(format!("{}/services/address-reference", app.api))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(status, 200);
    assert_eq!(body["form"]["sections"][0]["fields"][0]["id"], "about");

    let res = app
        .client
        .get(format!("{}/services/nothing", app.api))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    app.stop().await;
}
