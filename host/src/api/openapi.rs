//! The OpenAPI 3.1 document at `/api/openapi.json`, and a browsable view at
//! `/api/docs`: the platform's routes (generated from the handlers'
//! annotations) and, under each service's prefix, the routes its active
//! plugin version describes in its `api.json` (`service_routes`).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

use super::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Onewindow", description = "One window for a city's public services: residents call every service through this API."),
    paths(super::services::call_service),
    components(schemas(super::problem::Problem, super::problem::FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "services", description = "Services residents can call"),
        (name = "auth", description = "Accounts and sign-in"),
        (name = "plugins", description = "Plugins: partner units upload, admins review"),
        (name = "admin", description = "Platform administration"),
        (name = "me", description = "The signed-in resident: profile, cases, inbox, consents, who read my data"),
        (name = "staff", description = "Unit staff: the case queue, the shared record of their areas, alerts, figures"),
        (name = "platform", description = "Health of the host"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document before the routers add their paths.
pub fn base() -> OpenApiDoc {
    ApiDoc::openapi()
}

/// Where the document is served.
const DOCUMENT: &str = "/api/openapi.json";

/// Serves the document and the Swagger UI (which reads the document, so
/// the services' routes show there too).
pub fn router(spec: OpenApiDoc) -> Router<AppState> {
    let mut platform = serde_json::to_value(&spec).expect("the OpenAPI document serialises");
    super::problem_responses::complete(&mut platform);
    let platform = std::sync::Arc::new(platform);
    Router::new()
        .route(
            DOCUMENT,
            get(move |State(state): State<AppState>| {
                let platform = platform.clone();
                async move { super::service_routes::document(&state, &platform).await }
            }),
        )
        .merge(SwaggerUi::new("/api/docs").config(Config::from(DOCUMENT)))
}
