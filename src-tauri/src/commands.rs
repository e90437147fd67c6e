//! The window's commands. Each one: take the request, call one engine method, map the
//! error to `UiError`. The list is `cahts_engine::with_commands!`.

use std::sync::Arc;

use cahts_engine::facade::engine::Engine;
use cahts_engine::facade::ipc::*;
use tauri::State;

type Engine_<'a> = State<'a, Arc<Engine>>;
type Reply<T> = Result<T, UiError>;

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn app_status(engine: Engine_<'_>) -> Reply<AppStatus> {
    Ok(engine.app_status().await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn list_conversations(engine: Engine_<'_>, request: ListConversationsRequest) -> Reply<ConversationPage> {
    Ok(engine.list_conversations(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn get_thread(engine: Engine_<'_>, request: ThreadRequest) -> Reply<ThreadPage> {
    Ok(engine.get_thread(request).await?)
}

// The query is what the owner typed: not logged.
#[tauri::command]
#[tracing::instrument(skip_all, err)]
pub async fn search(engine: Engine_<'_>, request: SearchRequest) -> Reply<SearchResults> {
    Ok(engine.search(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn get_counts(engine: Engine_<'_>) -> Reply<Counts> {
    Ok(engine.get_counts().await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn mark_read(engine: Engine_<'_>, request: ConversationRef) -> Reply<()> {
    Ok(engine.mark_read(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn mark_unread(engine: Engine_<'_>, request: ConversationRef) -> Reply<()> {
    Ok(engine.mark_unread(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn set_conversation_state(engine: Engine_<'_>, request: SetStateRequest) -> Reply<()> {
    Ok(engine.set_conversation_state(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn enter_demo(engine: Engine_<'_>) -> Reply<AppStatus> {
    Ok(engine.enter_demo().await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn exit_demo(engine: Engine_<'_>) -> Reply<AppStatus> {
    Ok(engine.exit_demo().await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn relay_status(engine: Engine_<'_>) -> Reply<RelayStatus> {
    Ok(engine.relay_status().await?)
}

// The pairing code is a credential: not logged.
#[tauri::command]
#[tracing::instrument(skip_all, err)]
pub async fn pair_relay(engine: Engine_<'_>, request: PairRelayRequest) -> Reply<RelayStatus> {
    Ok(engine.pair_relay(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn list_accounts(engine: Engine_<'_>) -> Reply<Vec<AccountView>> {
    Ok(engine.list_accounts().await?)
}

// The request holds a token: not logged.
#[tauri::command]
#[tracing::instrument(skip_all, err)]
pub async fn connect_whatsapp(engine: Engine_<'_>, request: ConnectWhatsappRequest) -> Reply<AccountView> {
    Ok(engine.connect_whatsapp(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn begin_facebook_login(engine: Engine_<'_>) -> Reply<FacebookLogin> {
    Ok(engine.begin_facebook_login().await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, err)]
pub async fn facebook_login_status(engine: Engine_<'_>, request: FacebookLoginRef) -> Reply<FacebookLoginStatus> {
    Ok(engine.facebook_login_status(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, err)]
pub async fn connect_pages(engine: Engine_<'_>, request: ConnectPagesRequest) -> Reply<Vec<AccountView>> {
    Ok(engine.connect_pages(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn disconnect_account(engine: Engine_<'_>, request: DisconnectRequest) -> Reply<DisconnectResult> {
    Ok(engine.disconnect_account(request).await?)
}

// The text is the owner's message: not logged.
#[tauri::command]
#[tracing::instrument(skip_all, err)]
pub async fn send_text(engine: Engine_<'_>, request: SendTextRequest) -> Reply<OutboxRef> {
    Ok(engine.send_text(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn retry_send(engine: Engine_<'_>, request: OutboxRef) -> Reply<()> {
    Ok(engine.retry_send(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn discard_send(engine: Engine_<'_>, request: OutboxRef) -> Reply<()> {
    Ok(engine.discard_send(request).await?)
}

// The caption is the owner's message, the path their file: not logged.
#[tauri::command]
#[tracing::instrument(skip_all, err)]
pub async fn send_media(engine: Engine_<'_>, request: SendMediaRequest) -> Reply<OutboxRefs> {
    Ok(engine.send_media(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn list_templates(engine: Engine_<'_>, request: ConversationRef) -> Reply<Vec<Template>> {
    Ok(engine.list_templates(request).await?)
}

// The values are the owner's words: not logged.
#[tauri::command]
#[tracing::instrument(skip_all, err)]
pub async fn send_template(engine: Engine_<'_>, request: SendTemplateRequest) -> Reply<OutboxRef> {
    Ok(engine.send_template(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn react(engine: Engine_<'_>, request: ReactRequest) -> Reply<OutboxRef> {
    Ok(engine.react(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn begin_instagram_login(engine: Engine_<'_>) -> Reply<FacebookLogin> {
    Ok(engine.begin_instagram_login().await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, err)]
pub async fn instagram_login_status(engine: Engine_<'_>, request: FacebookLoginRef) -> Reply<InstagramLoginStatus> {
    Ok(engine.instagram_login_status(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn get_report(engine: Engine_<'_>, request: ReportRequest) -> Reply<Report> {
    Ok(engine.report(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn live_counters(engine: Engine_<'_>) -> Reply<LiveCounters> {
    Ok(engine.live_counters().await?)
}

// The path the owner chose is theirs: not logged.
#[tauri::command]
#[tracing::instrument(skip_all, err)]
pub async fn save_report_csv(engine: Engine_<'_>, request: ReportCsvRequest) -> Reply<ReportCsvWritten> {
    Ok(engine.save_report_csv(request).await?)
}

// The path the owner chose is theirs: not logged.
#[tauri::command]
#[tracing::instrument(skip_all, err)]
pub async fn save_report_pdf(engine: Engine_<'_>, request: ReportPdfRequest) -> Reply<ReportPdfWritten> {
    Ok(engine.save_report_pdf(request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(engine), err)]
pub async fn set_business_hours(engine: Engine_<'_>, request: SetBusinessHoursRequest) -> Reply<()> {
    Ok(engine.set_business_hours(request.hours).await?)
}

#[tauri::command]
pub async fn export_progress(engine: Engine_<'_>, request: ExportRef) -> Reply<Option<ExportProgress>> {
    Ok(engine.export_progress(&request))
}

#[tauri::command]
#[tracing::instrument(skip(engine))]
pub async fn cancel_export(engine: Engine_<'_>, request: ExportRef) -> Reply<()> {
    engine.cancel_export(&request);
    Ok(())
}
