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

/// Stores `version` of `plugin_id`, owned by `unit`, with `component`.
async fn upload_owned(store: &Store, plugin_id: &str, unit: &str, version: &str, component: &[u8]) {
    let mut tx = begin_lifecycle(store).await.unwrap();
    let new = NewVersion {
        plugin_id,
        owner_unit: Some(unit),
        version,
        sha256: &format!("sha-{plugin_id}-{version}"),
        component,
        manifest: "",
        requested: &[],
        requested_limits: Limits::default(),
        uploaded_by: "dev",
        uploaded_unit: Some(unit),
        api: None,
    };
    insert_version(&mut tx, new).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn removing_frees_the_units_quota_and_the_artifact_cache_lets_the_component_go() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    crate::store::units::seed_defaults(&store).await.unwrap();
    let unit = "police-central";
    for version in ["1.0.0", "1.1.0", "1.2.0"] {
        upload_owned(&store, "notes", unit, version, &[7; 100]).await;
    }
    let mut tx = begin_lifecycle(&store).await.unwrap();
    set_rejected(&mut tx, "notes", "1.0.0", "admin", "no").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(unit_usage(&store, unit).await.unwrap(), UnitUsage { stored_bytes: 300, pending: 2 });
    assert!(kept_components(&store).await.unwrap().contains("sha-notes-1.1.0"));

    // A pending version is withdrawn: its row goes, and with it a pending slot.
    let mut tx = begin_lifecycle(&store).await.unwrap();
    assert_eq!(delete_pending(&mut tx, "notes", "1.1.0").await.unwrap(), 100);
    tx.commit().await.unwrap();
    assert!(find_version(&store, "notes", "1.1.0").await.unwrap().is_none());
    assert_eq!(unit_usage(&store, unit).await.unwrap(), UnitUsage { stored_bytes: 200, pending: 1 });
    assert!(!kept_components(&store).await.unwrap().contains("sha-notes-1.1.0"));

    // A rejected one keeps its row, marked, without the bytes.
    let mut tx = begin_lifecycle(&store).await.unwrap();
    let from = [VersionState::Rejected, VersionState::Retired, VersionState::Superseded];
    assert_eq!(drop_component(&mut tx, "notes", "1.0.0", &from).await.unwrap(), 100);
    assert_eq!(stored_bytes(&mut tx, "notes", "1.0.0").await.unwrap(), Some(0));
    tx.commit().await.unwrap();
    let kept = find_version(&store, "notes", "1.0.0").await.unwrap().unwrap();
    assert!(kept.component_removed && kept.state == VersionState::Rejected && kept.size == 100, "{kept:?}");
    assert!(component(&store, "notes", "1.0.0").await.unwrap().is_empty());
    assert_eq!(unit_usage(&store, unit).await.unwrap(), UnitUsage { stored_bytes: 100, pending: 1 });
    assert!(!find_version(&store, "notes", "1.2.0").await.unwrap().unwrap().component_removed);
}

#[tokio::test]
async fn a_removal_of_a_version_changed_meanwhile_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    upload(&store, "1.0.0").await;
    let mut tx = begin_lifecycle(&store).await.unwrap();
    set_granted(&mut tx, "notes", "1.0.0", &[], Limits::default(), "admin").await.unwrap();
    activate(&mut tx, "notes", "1.0.0", &[VersionState::Pending]).await.unwrap();
    tx.commit().await.unwrap();

    // A unit saw it pending (or superseded); an admin approved it meanwhile.
    let mut tx = begin_lifecycle(&store).await.unwrap();
    refused_as(delete_pending(&mut tx, "notes", "1.0.0").await.unwrap_err(), "active");
    let refused = drop_component(&mut tx, "notes", "1.0.0", &[VersionState::Superseded]).await.unwrap_err();
    refused_as(refused, "active");
    drop(tx);
    assert_eq!(state_of(&store, "1.0.0").await, VersionState::Active);
    assert_eq!(component(&store, "notes", "1.0.0").await.unwrap(), b"\0asm");

    let mut tx = begin_lifecycle(&store).await.unwrap();
    refused_as(delete_pending(&mut tx, "notes", "9.9.9").await.unwrap_err(), "gone");
    assert_eq!(stored_bytes(&mut tx, "notes", "9.9.9").await.unwrap(), None);
}
