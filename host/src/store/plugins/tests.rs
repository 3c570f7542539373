//! Lifecycle transitions are conditional: a version no longer in the state
//! an act found it in is refused, naming the state it is in, and the refused
//! transaction changes nothing.

use super::*;

async fn store(dir: &std::path::Path) -> Store {
    Store::connect(&format!("sqlite://{}?mode=rwc", dir.join("t.db").display()), 2).await.unwrap()
}

async fn upload(store: &Store, version: &str) {
    let mut tx = begin_lifecycle(store).await.unwrap();
    let new = NewVersion {
        plugin_id: "notes",
        owner_unit: None,
        version,
        sha256: "00",
        component: b"\0asm",
        manifest: "",
        requested: &[],
        requested_limits: Limits::default(),
        uploaded_by: "system",
        uploaded_unit: None,
        api: None,
    };
    insert_version(&mut tx, new).await.unwrap();
    tx.commit().await.unwrap();
}

async fn state_of(store: &Store, version: &str) -> VersionState {
    find_version(store, "notes", version).await.unwrap().unwrap().state
}

async fn active_of(store: &Store) -> Option<String> {
    find_plugin(store, "notes").await.unwrap().unwrap().active_version
}

fn refused_as(error: TransitionError, actual: &str) -> String {
    let message = error.to_string();
    assert!(matches!(error, TransitionError::WrongState { .. }), "{message}");
    assert!(message.contains(&format!("is {actual} now")), "{message}");
    message
}

#[tokio::test]
async fn a_version_changed_meanwhile_is_refused_with_the_state_it_is_in() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    upload(&store, "1.0.0").await;

    // One admin rejects ...
    let mut tx = begin_lifecycle(&store).await.unwrap();
    set_rejected(&mut tx, "notes", "1.0.0", "admin-a", "no").await.unwrap();
    tx.commit().await.unwrap();
    // ... while another, who saw it pending, approves: refused, and nothing changes.
    let mut tx = begin_lifecycle(&store).await.unwrap();
    let refused = set_granted(&mut tx, "notes", "1.0.0", &[], Limits::default(), "admin-b").await.unwrap_err();
    assert!(refused_as(refused, "rejected").contains("not pending"));
    let refused = activate(&mut tx, "notes", "1.0.0", &[VersionState::Pending]).await.unwrap_err();
    refused_as(refused, "rejected");
    drop(tx);
    assert_eq!(state_of(&store, "1.0.0").await, VersionState::Rejected);
    assert_eq!(find_version(&store, "notes", "1.0.0").await.unwrap().unwrap().reviewed_by.as_deref(), Some("admin-a"));
    assert_eq!(active_of(&store).await, None);
}

#[tokio::test]
async fn activation_swaps_the_active_version_and_answers_the_one_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    upload(&store, "1.0.0").await;
    upload(&store, "1.1.0").await;
    for version in ["1.0.0", "1.1.0"] {
        let mut tx = begin_lifecycle(&store).await.unwrap();
        set_granted(&mut tx, "notes", version, &[], Limits::default(), "admin").await.unwrap();
        let previous = activate(&mut tx, "notes", version, &[VersionState::Pending]).await.unwrap();
        assert_eq!(previous.as_deref(), (version == "1.1.0").then_some("1.0.0"));
        tx.commit().await.unwrap();
    }
    assert_eq!(state_of(&store, "1.0.0").await, VersionState::Superseded);
    assert_eq!(active_of(&store).await.as_deref(), Some("1.1.0"));

    // Suspending what an admin saw active, after another rolled back meanwhile.
    let mut tx = begin_lifecycle(&store).await.unwrap();
    let refused =
        deactivate(&mut tx, "notes", "1.0.0", &[VersionState::Active], VersionState::Suspended).await.unwrap_err();
    refused_as(refused, "superseded");
    drop(tx);
    assert_eq!(active_of(&store).await.as_deref(), Some("1.1.0"));

    // Retiring the suspended version leaves none active; resuming it then is refused.
    let mut tx = begin_lifecycle(&store).await.unwrap();
    deactivate(&mut tx, "notes", "1.1.0", &[VersionState::Active], VersionState::Suspended).await.unwrap();
    let from = [VersionState::Active, VersionState::Suspended];
    deactivate(&mut tx, "notes", "1.1.0", &from, VersionState::Retired).await.unwrap();
    let refused = activate(&mut tx, "notes", "1.1.0", &[VersionState::Suspended]).await.unwrap_err();
    refused_as(refused, "retired");
    tx.commit().await.unwrap();
    assert_eq!(active_of(&store).await, None);
    assert_eq!(state_of(&store, "1.1.0").await, VersionState::Retired);
}
