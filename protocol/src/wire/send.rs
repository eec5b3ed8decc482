//! A statement's [`Reply`] as protocol messages: notices, RowDescription
//! (simple protocol only), DataRows and CommandComplete, or the COPY OUT
//! sequence (CopyOutResponse, one CopyData per row, CopyDone, `COPY n`);
//! ParameterStatus for changed settings goes just before ReadyForQuery.

use std::fmt::Debug;

use futures::sink::{Sink, SinkExt};
use pgwire::api::results::Tag;
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::{CopyData, CopyDone, CopyOutResponse};
use pgwire::messages::data::RowDescription;
use pgwire::messages::response::CommandComplete;
use pgwire::messages::startup::ParameterStatus;

use super::exec::{Body, Reply, tag_with_rows};
use crate::error::SqlError;
use crate::rows::field_infos;

pub async fn notices<C>(client: &mut C, notices: &[(&'static str, String)]) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    for (code, msg) in notices {
        let info = ErrorInfo::new("WARNING".to_owned(), (*code).to_owned(), msg.clone());
        client
            .feed(PgWireBackendMessage::NoticeResponse(info.into()))
            .await?;
    }
    Ok(())
}

pub async fn reports<C>(client: &mut C, reports: Vec<(String, String)>) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    for (name, value) in reports {
        client
            .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                name, value,
            )))
            .await?;
    }
    Ok(())
}

pub async fn error<C>(client: &mut C, e: &SqlError) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    client
        .feed(PgWireBackendMessage::ErrorResponse(
            e.to_error_info().into(),
        ))
        .await?;
    Ok(())
}

pub fn complete(tag: String) -> PgWireBackendMessage {
    PgWireBackendMessage::CommandComplete(CommandComplete::new(tag))
}

/// Sends everything of `reply`; `describe` sends RowDescription first.
pub async fn reply<C>(client: &mut C, reply: Reply, describe: bool) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    notices(client, &reply.notices).await?;
    match reply.body {
        Body::Rows {
            columns,
            format,
            data,
            tag,
        } => {
            if describe {
                let fields = field_infos(&columns, Some(&format));
                client
                    .feed(PgWireBackendMessage::RowDescription(RowDescription::new(
                        fields.iter().map(Into::into).collect(),
                    )))
                    .await?;
            }
            let n = data.len();
            for row in data {
                client.feed(PgWireBackendMessage::DataRow(row)).await?;
            }
            client.feed(complete(tag_with_rows(tag, n))).await?;
        }
        Body::Command(tag) => client.feed(complete(tag)).await?,
        Body::Copy {
            format,
            columns,
            data,
            rows,
        } => {
            let codes = vec![i16::from(format); columns];
            client
                .feed(PgWireBackendMessage::CopyOutResponse(CopyOutResponse::new(
                    format,
                    columns as i16,
                    codes,
                )))
                .await?;
            for chunk in data {
                client
                    .feed(PgWireBackendMessage::CopyData(CopyData::new(chunk)))
                    .await?;
            }
            client
                .feed(PgWireBackendMessage::CopyDone(CopyDone::new()))
                .await?;
            client
                .feed(PgWireBackendMessage::CommandComplete(
                    Tag::new("COPY").with_rows(rows).into(),
                ))
                .await?;
        }
    }
    Ok(())
}
