//! The plugins a footprint run installs: copies of the Python and
//! JavaScript examples and of the Rust plugins in the repository, each with
//! its own id and byte-distinct component, uploaded by a partner unit's
//! staff and approved by the admin as the README describes.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use super::component::with_custom_section;
use crate::http::{self, Client};
use crate::{WASM_TARGET, root, target_dir};

/// The language a component was written in.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Language {
    Python,
    JavaScript,
    Rust,
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Language::Python => "python",
            Language::JavaScript => "javascript",
            Language::Rust => "rust",
        })
    }
}

/// What a source is, apart from its files.
#[derive(Clone, Copy)]
struct Origin {
    name: &'static str,
    language: Language,
    /// The unit whose staff upload its copies.
    unit: &'static str,
    /// A GET route (relative to the service) that the copies are called on.
    probe: &'static str,
}

/// A plugin to make copies of.
pub struct Source {
    pub name: &'static str,
    pub language: Language,
    unit: &'static str,
    pub probe: &'static str,
    manifest: String,
    component: Vec<u8>,
    api: Option<String>,
}

/// The Rust plugins copied: (name, directory under the staged plugins,
/// route to call). The first-party ones are the platform's real services.
const RUST: &[(&str, &str, &str)] = &[
    ("residence-permit", "first-party/residence-permit", "/requirements"),
    ("misbehaving", "fixtures/misbehaving", "/noop"),
    ("lost-id-reissue", "first-party/lost-id-reissue", "/info"),
    ("legal-consultation", "first-party/legal-consultation", "/guide"),
    ("utility-referral", "first-party/utility-referral", "/units"),
];
const RUST_UNIT: &str = "police-central";

impl Source {
    /// A staged plugin: `plugin.toml`, `plugin.wasm` and maybe `api.json` in `dir`.
    fn staged(origin: Origin, dir: &Path) -> Result<Source, String> {
        Source::load(origin, &dir.join("plugin.toml"), &dir.join("plugin.wasm"), Some(&dir.join("api.json")))
    }

    fn load(origin: Origin, manifest: &Path, component: &Path, api: Option<&Path>) -> Result<Source, String> {
        let read = |path: &Path| std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()));
        let text = |path: &Path| String::from_utf8(read(path)?).map_err(|e| format!("{}: {e}", path.display()));
        let api = match api.filter(|path| path.exists()) {
            Some(path) => Some(text(path)?),
            None => None,
        };
        let Origin { name, language, unit, probe } = origin;
        Ok(Source { name, language, unit, probe, manifest: text(manifest)?, component: read(component)?, api })
    }
}

/// Every source: the two examples in other languages (staged in
/// `polyglot`), then the Rust plugins (staged in `staged`, and the SDK's
/// starter as built).
pub fn sources(staged: &Path, polyglot: &Path) -> Result<Vec<Source>, String> {
    let example = |name, language, unit| Origin { name, language, unit, probe: "/hello" };
    let mut sources = vec![
        Source::staged(example("python-example", Language::Python, "partner-water"), &polyglot.join("python-example"))?,
        Source::staged(
            example("js-example", Language::JavaScript, "partner-electricity"),
            &polyglot.join("js-example"),
        )?,
    ];
    for &(name, dir, probe) in RUST {
        let origin = Origin { name, language: Language::Rust, unit: RUST_UNIT, probe };
        sources.push(Source::staged(origin, &staged.join(dir))?);
    }
    let starter = Origin { name: "starter-service", language: Language::Rust, unit: RUST_UNIT, probe: "/requests" };
    let component = target_dir().join(WASM_TARGET).join("plugin").join("starter_service.wasm");
    sources.push(Source::load(starter, &root().join("sdk/starter/plugin.toml"), &component, None)?);
    Ok(sources)
}

/// `count` plugins to install, in order: of every five, one Python, one
/// JavaScript and three Rust (the Rust ones in turn), so any prefix of the
/// lineup holds the large plugins in the same proportion.
pub fn lineup(sources: &[Source], count: usize) -> Vec<&Source> {
    let of = |language: Language| sources.iter().filter(move |s| s.language == language);
    let mut rust = of(Language::Rust).cycle();
    let (python, javascript) = (of(Language::Python).next(), of(Language::JavaScript).next());
    (0..count)
        .filter_map(|n| match n % 5 {
            0 => python,
            2 => javascript,
            _ => rust.next(),
        })
        .collect()
}

/// An installed copy.
pub struct Installed {
    pub language: Language,
    pub source: &'static str,
    /// The route its calls go to, from the host's root.
    pub probe: String,
    pub component_bytes: usize,
    pub upload_took: Duration,
    pub approve_took: Duration,
}

/// The admin's token and a staff account per uploading unit.
pub struct Uploaders {
    pub admin: String,
    staff: BTreeMap<&'static str, String>,
}

impl Uploaders {
    /// Signs in the admin and creates (and signs in) one staff member in
    /// every unit that uploads a source.
    pub fn create(client: &mut Client, admin_password: &str, sources: &[Source]) -> Result<Uploaders, String> {
        let admin = sign_in(client, "admin", admin_password)?;
        let mut staff = BTreeMap::new();
        for unit in sources.iter().map(|s| s.unit) {
            if staff.contains_key(unit) {
                continue;
            }
            let (username, password) = (format!("footprint-{unit}"), "footprint uploader password");
            let account = json!({"username": username, "display_name": "Footprint uploader", "role": "staff",
                "unit_id": unit, "password": password});
            client.post_json("/api/v1/admin/accounts", Some(&admin), &account)?.expect(201, "creating an uploader")?;
            staff.insert(unit, sign_in(client, &username, password)?);
        }
        Ok(Uploaders { admin, staff })
    }
}

/// Uploads a copy of `source` as `id` (its manifest's id replaced, its
/// component made unique) and approves everything it asks for.
pub fn install(client: &mut Client, uploaders: &Uploaders, source: &Source, id: &str) -> Result<Installed, String> {
    let manifest =
        with_id(&source.manifest, id).ok_or_else(|| format!("{}: its manifest has no id line", source.name))?;
    let component = with_custom_section(&source.component, "onewindow-footprint", id.as_bytes());
    let mut fields = vec![("manifest", manifest.as_str())];
    if let Some(api) = &source.api {
        fields.push(("api", api));
    }
    let (content_type, body) = http::multipart(&fields, ("component", "plugin.wasm", &component));
    let token = uploaders.staff.get(source.unit).ok_or("no uploader for the unit")?;
    let started = Instant::now();
    let uploaded = client
        .post("/api/v1/plugins", Some(token), Some((&content_type, &body)))?
        .expect(201, &format!("uploading {id} (a copy of {})", source.name))?;
    let upload_took = started.elapsed();
    let version = uploaded["version"].as_str().ok_or_else(|| format!("no version in {uploaded}"))?;
    let approve = format!("/api/v1/admin/plugins/{id}/versions/{version}/approve");
    let started = Instant::now();
    client
        .post_json(&approve, Some(&uploaders.admin), &json!({"sha256": uploaded["sha256"]}))?
        .expect(200, &format!("approving {id}"))?;
    Ok(Installed {
        language: source.language,
        source: source.name,
        probe: format!("/api/v1/services/{id}{}", source.probe),
        component_bytes: component.len(),
        upload_took,
        approve_took: started.elapsed(),
    })
}

/// The manifest with its top-level `id = "..."` line replaced.
fn with_id(manifest: &str, id: &str) -> Option<String> {
    let mut replaced = false;
    let lines: Vec<String> = manifest
        .lines()
        .map(|line| {
            if !replaced && line.starts_with("id = ") {
                replaced = true;
                format!("id = \"{id}\"")
            } else {
                line.to_owned()
            }
        })
        .collect();
    replaced.then(|| lines.join("\n") + "\n")
}

fn sign_in(client: &mut Client, username: &str, password: &str) -> Result<String, String> {
    let body = client
        .post_json("/api/v1/auth/sign-in", None, &json!({"username": username, "password": password}))?
        .expect(200, &format!("signing in {username}"))?;
    body["token"].as_str().map(str::to_owned).ok_or_else(|| format!("no token in {body}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_top_level_id() {
        let manifest = "# A plugin\nid = \"misbehaving\"\nversion = \"0.1.0\"\n[[tables]]\nid = \"kept\"\n";
        let copy = with_id(manifest, "fp-rust-02").unwrap();
        assert_eq!(copy, "# A plugin\nid = \"fp-rust-02\"\nversion = \"0.1.0\"\n[[tables]]\nid = \"kept\"\n");
        assert_eq!(with_id("version = \"0.1.0\"\n", "x"), None);
    }
}
