//! Ready-made setups for the suites: an Isotherm server and a PostgreSQL
//! database holding the same rows in a table named `temperatures`.

use tokio_postgres::Client;

use crate::admin::Admin;
use crate::data::{Dataset, EdgeOptions, edge_dataset};
use crate::error::{Context, Result};
use crate::pg::PgDb;
use crate::server::Server;

pub const TABLE: &str = "temperatures";

pub struct Fixture {
    pub server: Server,
    pub admin: Admin,
    pub pg_db: PgDb,
    pub pg: Client,
    pub iso: Client,
    pub dataset: Dataset,
}

impl Fixture {
    /// Serves `dataset` (pushed partition by partition over the admin API)
    /// and loads the same rows into a fresh PostgreSQL database.
    pub async fn with_dataset(label: &str, dataset: Dataset) -> Result<Fixture> {
        let server = Server::start().ctx("starting isotherm serve")?;
        let admin = Admin::new(server.admin_url())?;
        admin
            .put_dataset(TABLE, &dataset)
            .await
            .ctx("pushing the dataset")?;
        let pg_db = crate::pg::cluster()?.create_database(label).await?;
        let pg = pg_db.connect().await?;
        crate::pg_load::create_table(&pg, TABLE).await?;
        crate::pg_load::load_rows(&pg, TABLE, dataset.rows()).await?;
        let iso = server.connect().await.ctx("connecting to isotherm")?;
        Ok(Fixture {
            server,
            admin,
            pg_db,
            pg,
            iso,
            dataset,
        })
    }

    /// The edge-case dataset with the given options.
    pub async fn edge(label: &str, opts: EdgeOptions) -> Result<Fixture> {
        Fixture::with_dataset(label, edge_dataset(opts)).await
    }

    pub fn oracle(&self) -> crate::compare::Oracle<'_> {
        crate::compare::Oracle {
            pg: &self.pg,
            iso: &self.iso,
        }
    }

    /// Reconnects to Isotherm (after a restart: new ports).
    pub async fn reconnect(&mut self) -> Result<()> {
        self.admin = Admin::new(self.server.admin_url())?;
        self.iso = self.server.connect().await?;
        Ok(())
    }
}
