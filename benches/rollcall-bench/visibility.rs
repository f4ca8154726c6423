//! CRM lists of a non-admin at scale (issue 16): a database of its own with `--visibility-contacts`
//! persons (10% private, each with three managers from a pool of 50 users, the measured member among
//! them; the rest shared), served by a `rollcall serve` of its own, and `GET crm/contact/filter` (and
//! gRPC `ListPersons`) measured for a non-admin member and for the owner (a CRM admin) in the same run.
//!
//! The store is made the way the rebuild scenario makes it: the service creates the users and one real
//! private person (the template), then the events are appended by SQL (`generate_series`, the
//! template's payload with id, names, share type, managers and creation time varied) and the read
//! models are built by the real `rollcall projections rebuild`. Those synthetic events are not
//! published to NATS: the publisher's checkpoint is moved past them (this scenario is about reads).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rollcall::grpc::pb::ListPersonsRequest;
use rollcall::grpc::pb::person_service_client::PersonServiceClient;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, PgPool};
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};

use crate::args::Args;
use crate::rebuild::{self, Rebuilt};
use crate::scratch::{self, ScratchDb};
use crate::session::{self, person_json};
use crate::stats::{Outcome, plural};

/// Events appended per transaction while filling the store.
const FILL_CHUNK: u64 = 100_000;
/// Private persons have three managers out of this many users; the measured member is the first.
const MANAGER_POOL: usize = 50;
/// Password of the measured member.
const MEMBER_PASSWORD: &str = "visibility-member-1";

/// First and last names of the synthetic persons, drawn by a hash of the id (each last name is on about
/// 1/50 of the persons, so a search for one matches about 2% of them).
const FIRST_NAMES: [&str; 40] = [
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Grace", "Hugo", "Iris", "Jonas", "Katja", "Leo", "Maria",
    "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wim", "Xenia", "Yusuf", "Zoe", "Arne",
    "Bea", "Carl", "Dana", "Emil", "Fay", "Gus", "Hana", "Ivo", "Jana", "Kai", "Lina", "Milo", "Nora",
];
const LAST_NAMES: [&str; 50] = [
    "Abbott",
    "Bauer",
    "Castillo",
    "Dvorak",
    "Eriksen",
    "Fontaine",
    "Garcia",
    "Horvat",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quiroga",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmermann",
    "Andersen",
    "Brennan",
    "Costa",
    "Dubois",
    "Esposito",
    "Fischer",
    "Gruber",
    "Hansen",
    "Ilic",
    "Jovanovic",
    "Keller",
    "Larsen",
    "Meyer",
    "Nielsen",
    "Olsen",
    "Popescu",
    "Rahman",
    "Santos",
    "Tomic",
    "Urban",
    "Vogel",
    "Wagner",
    "Young",
    "Zeller",
];

pub struct Visibility<'a> {
    pub args: &'a Args,
    pub tag: &'a str,
}

/// Builds the database, serves it, measures; always drops the database and the streams again.
pub async fn run(cfg: Visibility<'_>) -> Vec<Outcome> {
    let name = format!("rollcall_bench_visibility_{}", cfg.tag);
    let prefix = format!("bench{}vis", cfg.tag);
    let db = match ScratchDb::create(&cfg.args.pg_server, &name, &cfg.args.rollcall_bin).await {
        Ok(db) => db,
        Err(e) => return vec![Outcome::failed("visibility", e)],
    };
    let rows = measure(&cfg, &db, &prefix)
        .await
        .unwrap_or_else(|e| vec![Outcome::failed("visibility", e)]);
    db.drop_now().await;
    if let Err(e) = crate::nats::cleanup(&cfg.args.nats_url, &prefix).await {
        eprintln!("bench: could not delete the streams of {prefix}: {e}");
    }
    rows
}

/// Who the scratch service runs as, and where.
struct Setup {
    db_url: String,
    nats_url: String,
    prefix: String,
    owner_email: String,
    owner_password: String,
    secret: String,
    rollcall: PathBuf,
    log: PathBuf,
}

async fn measure(cfg: &Visibility<'_>, db: &ScratchDb, prefix: &str) -> Result<Vec<Outcome>, String> {
    let args = cfg.args;
    let contacts = args.visibility_contacts().max(2);
    let random = || uuid::Uuid::new_v4().simple().to_string();
    let log_dir = args.out.parent().map(Path::to_path_buf).unwrap_or_default();
    std::fs::create_dir_all(&log_dir).map_err(|e| format!("create {}: {e}", log_dir.display()))?;
    let setup = Setup {
        db_url: db.url.clone(),
        nats_url: args.nats_url.clone(),
        prefix: prefix.to_string(),
        owner_email: format!("owner-{}@visibility.example", cfg.tag),
        owner_password: random(),
        secret: format!("{}{}", random(), random()),
        rollcall: args.rollcall_bin.clone(),
        log: log_dir.join(format!("service-visibility-{}.log", cfg.tag)),
    };

    // 1. The service makes the users and the template person.
    println!("bench: visibility: {contacts} persons in {}", db.name);
    let started = Instant::now();
    let served = Served::start(&setup).await?;
    let owner = session::login(&served.http_url, &setup.owner_email, &setup.owner_password).await?;
    let member_email = format!("member-{}@visibility.example", cfg.tag);
    let member_id = create_member(&served.http_url, &owner, &member_email).await?;
    create_template(&served.http_url, &owner, &member_id).await?;
    served.stop().await?;

    // 2. The store, by SQL, then the real rebuild.
    let pool = db.pool().await?;
    let template = rebuild::template(&pool)
        .await?
        .ok_or("no PersonCreated after creating the template")?;
    let mut managers = vec![member_id.clone()];
    managers.extend((1..MANAGER_POOL).map(|_| uuid::Uuid::new_v4().to_string()));
    let fill_start = Instant::now();
    fill(&pool, &template, &managers, contacts).await?;
    let filled = fill_start.elapsed();
    let Rebuilt { wall, last_line, .. } = rebuild::rebuild_process(&db.url, &setup.rollcall).await?;
    println!(
        "bench: visibility: store filled in {:.1} s, rebuilt in {:.1} s ({last_line})",
        filled.as_secs_f64(),
        wall.as_secs_f64()
    );
    prepare_to_serve(&pool, prefix).await?;
    let counts = expected_counts(&pool, &member_id).await?;
    let built = started.elapsed();

    // 3. Serve it and measure.
    let served = Served::start(&setup).await?;
    let result = async {
        let owner = session::login(&served.http_url, &setup.owner_email, &setup.owner_password).await?;
        let member = session::login(&served.http_url, &member_email, MEMBER_PASSWORD).await?;
        let viewers = [
            ("non-admin", member.as_str(), counts.member),
            ("admin", owner.as_str(), counts.all),
        ];
        for (who, token, expected) in viewers {
            let total = list_total(&served.http_url, token).await?;
            if total != expected {
                return Err(format!("{who}: the list says {total} persons, the table {expected}"));
            }
        }
        let mut rows = lists(args, &served, &viewers, contacts).await;
        if let Some(first) = rows.first_mut() {
            first.note = format!(
                "{} persons ({} private, {} of them managed by the member); the member sees {}, the admin {}; \
                 database built in {:.0} s (store filled in {:.1} s, rebuild {:.1} s); {} s per row; plans in {}",
                counts.all,
                counts.private,
                counts.managed,
                counts.member,
                counts.all,
                built.as_secs_f64(),
                filled.as_secs_f64(),
                wall.as_secs_f64(),
                args.duration().as_secs(),
                plans_path(args, cfg.tag).display()
            );
        }
        let plans = plans(&db.url, &member_id, args, contacts).await?;
        println!("{plans}");
        let path = plans_path(args, cfg.tag);
        std::fs::write(&path, &plans).map_err(|e| format!("write {}: {e}", path.display()))?;
        Ok(rows)
    }
    .await;
    let stopped = served.stop().await;
    pool.close().await;
    let rows = result?;
    stopped?;
    Ok(rows)
}

fn plans_path(args: &Args, tag: &str) -> PathBuf {
    let dir = args.out.parent().map(Path::to_path_buf).unwrap_or_default();
    dir.join(format!("visibility-plans-{tag}.md"))
}

/// A `rollcall serve` of this scenario, on free ports.
struct Served {
    child: tokio::process::Child,
    pid: Option<u32>,
    http_url: String,
    grpc_url: String,
}

impl Served {
    async fn start(s: &Setup) -> Result<Served, String> {
        let (http, grpc) = (free_port()?, free_port()?);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&s.log)
            .map_err(|e| format!("open {}: {e}", s.log.display()))?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = scratch::rollcall_command(&s.rollcall, &s.db_url);
        cmd.arg("serve")
            .env("NATS_URL", &s.nats_url)
            .env("ROLLCALL_HTTP_ADDR", format!("127.0.0.1:{http}"))
            .env("ROLLCALL_GRPC_ADDR", format!("127.0.0.1:{grpc}"))
            .env("ROLLCALL_NATS_PREFIX", &s.prefix)
            .env("ROLLCALL_ADMIN_EMAIL", &s.owner_email)
            .env("ROLLCALL_ADMIN_PASSWORD", &s.owner_password)
            .env("ROLLCALL_AUTH_SECRET", &s.secret)
            .env("ROLLCALL_LOG_FORMAT", "text")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .kill_on_drop(true);
        if let Ok(n) = std::env::var("ROLLCALL_DB_MAX_CONNECTIONS") {
            cmd.env("ROLLCALL_DB_MAX_CONNECTIONS", n);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("run {} serve: {e}", s.rollcall.display()))?;
        let served = Served {
            pid: child.id(),
            http_url: format!("http://127.0.0.1:{http}"),
            grpc_url: format!("http://127.0.0.1:{grpc}"),
            child: {
                // Healthy within a minute, or the start failed.
                let health = format!("http://127.0.0.1:{http}/healthz");
                let client = reqwest::Client::new();
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    if let Ok(Some(status)) = child.try_wait() {
                        return Err(format!(
                            "rollcall serve exited during start ({status}); see {}",
                            s.log.display()
                        ));
                    }
                    if client.get(&health).send().await.is_ok_and(|r| r.status().is_success()) {
                        break child;
                    }
                    if Instant::now() > deadline {
                        return Err(format!(
                            "rollcall serve not healthy after 60 s; see {}",
                            s.log.display()
                        ));
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        };
        Ok(served)
    }

    /// SIGTERM, and the exit within 30 s (else SIGKILL).
    async fn stop(mut self) -> Result<(), String> {
        if let Some(pid) = self.pid {
            let _ = tokio::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("wait for rollcall serve: {e}")),
            Err(_) => {
                let _ = self.child.kill().await;
                Err("rollcall serve did not stop within 30 s of SIGTERM".into())
            }
        }
    }
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("find a free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Creates a member (no admin rights) over REST and returns their id.
async fn create_member(http_url: &str, owner: &str, email: &str) -> Result<String, String> {
    let url = format!("{http_url}/api/2.0/people");
    let body = json!({"email": email, "firstname": "Visibility", "lastname": "Member", "password": MEMBER_PASSWORD});
    let res = reqwest::Client::new()
        .post(&url)
        .header("Authorization", format!("Bearer {owner}"))
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = res.status();
    let body: Value = res.json().await.map_err(|e| format!("POST {url}: {e}"))?;
    // The people API answers in ONLYOFFICE's title case (`Id`).
    let user = &body["response"];
    user["Id"]
        .as_str()
        .or(user["id"].as_str())
        .map(str::to_string)
        .ok_or_else(|| format!("POST {url}: {status} {body}"))
}

/// One private person managed by the member: the event every synthetic one copies.
async fn create_template(http_url: &str, owner: &str, member_id: &str) -> Result<(), String> {
    let url = format!("{http_url}/api/2.0/crm/contact/person");
    let mut body = person_json("Template", "Visibility");
    body["managerList"] = json!([member_id]);
    let res = reqwest::Client::new()
        .post(&url)
        .header("Authorization", format!("Bearer {owner}"))
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    match res.status().as_u16() {
        201 => Ok(()),
        s => Err(format!("POST {url}: {s} {}", res.text().await.unwrap_or_default())),
    }
}

/// Appends `contacts - 1` PersonCreated events after the template's person (so the store holds
/// `contacts` persons), and moves the contact id sequence past them. Person `template id + g`: private
/// when `g % 10 == 0` (managers: three distinct users of `managers`, drawn from `g`), otherwise shared
/// (read/write when `g` is odd, read-only when even); names drawn by a hash of `g`; created one second
/// after the one before, the newest just before the template.
async fn fill(
    pool: &PgPool,
    (payload, metadata, sequence): &(Value, Value, i64),
    managers: &[String],
    contacts: u64,
) -> Result<(), String> {
    let base: i64 = payload["PersonCreated"]["id"]
        .as_i64()
        .ok_or("the template has no PersonCreated.id")?;
    let created: chrono::DateTime<chrono::Utc> = payload["PersonCreated"]["created_at"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or("the template has no PersonCreated.created_at")?;
    let pool_size = managers.len() as i64;
    let (firsts, lasts): (Vec<String>, Vec<String>) = (
        FIRST_NAMES.iter().map(|s| s.to_string()).collect(),
        LAST_NAMES.iter().map(|s| s.to_string()).collect(),
    );
    let total = contacts - 1;
    let mut from = 1;
    while from <= total {
        let to = (from + FILL_CHUNK - 1).min(total);
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             SELECT 'Person', ($6::bigint + g)::text, $3, 'PersonCreated', '1',
                    jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set($1::jsonb,
                        '{PersonCreated,id}', to_jsonb($6::bigint + g)),
                        '{PersonCreated,first_name}',
                            to_jsonb(($8::text[])[1 + (hashint8(g) & 2147483647) % cardinality($8::text[])])),
                        '{PersonCreated,last_name}',
                            to_jsonb(($9::text[])[1 + (hashint8(-g) & 2147483647) % cardinality($9::text[])])),
                        '{PersonCreated,share_type}',
                            to_jsonb(CASE WHEN g % 10 = 0 THEN 'None' WHEN g % 2 = 1 THEN 'ReadWrite' ELSE 'Read' END)),
                        '{PersonCreated,managers}',
                            CASE WHEN g % 10 = 0 THEN jsonb_build_array(
                                ($10::text[])[1 + m.a], ($10::text[])[1 + m.b], ($10::text[])[1 + m.c])
                            ELSE '[]'::jsonb END),
                        '{PersonCreated,created_at}',
                            to_jsonb(to_char(($7::timestamptz - make_interval(secs => $11::bigint - g + 1))
                                             AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))),
                    jsonb_set($2::jsonb, '{correlation_id}', to_jsonb(gen_random_uuid()::text))
               FROM generate_series($4::bigint, $5::bigint) AS g,
                    LATERAL (SELECT (g / 10) % $12 AS a,
                                    ((g / 10) % $12 + 1 + (g / 10 / $12) % 24) % $12 AS b,
                                    ((g / 10) % $12 + 1 + (g / 10 / $12) % 24 + 1 + (g / 10 / ($12 * 24)) % 24) % $12 AS c) AS m",
        )
        .bind(payload)
        .bind(metadata)
        .bind(sequence)
        .bind(from as i64)
        .bind(to as i64)
        .bind(base)
        .bind(created)
        .bind(&firsts)
        .bind(&lasts)
        .bind(managers)
        .bind(total as i64)
        .bind(pool_size)
        .execute(pool)
        .await
        .map_err(|e| format!("fill events {from}..={to}: {e}"))?;
        from = to + 1;
    }
    sqlx::query("SELECT setval('crm_contact_id_seq', $1)")
        .bind(base + total as i64)
        .execute(pool)
        .await
        .map_err(|e| format!("move the contact id sequence: {e}"))?;
    // A store that has lived has statistics; a freshly bulk-loaded one has none yet.
    sqlx::query("ANALYZE events")
        .execute(pool)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// After the rebuild: the publisher starts where the read models are (the synthetic events are not
/// published), and the tables are vacuumed as autovacuum would have done in a store that has lived
/// (visibility map, statistics), so it does not start in the middle of the measurement.
async fn prepare_to_serve(pool: &PgPool, prefix: &str) -> Result<(), String> {
    sqlx::query(
        "INSERT INTO projector_checkpoints (name, transaction_id, global_position, events_applied)
         SELECT $1, transaction_id, global_position, events_applied FROM projector_checkpoints WHERE name = 'read_models'
         ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id,
                global_position = EXCLUDED.global_position, updated_at = now()",
    )
    .bind(format!("nats_events:{prefix}"))
    .execute(pool)
    .await
    .map_err(|e| format!("move the publisher's checkpoint: {e}"))?;
    for table in ["persons", "users", "companies"] {
        sqlx::query(&format!("VACUUM (ANALYZE) {table}"))
            .execute(pool)
            .await
            .map_err(|e| format!("vacuum {table}: {e}"))?;
    }
    Ok(())
}

struct Counts {
    all: i64,
    private: i64,
    managed: i64,
    member: i64,
}

async fn expected_counts(pool: &PgPool, member_id: &str) -> Result<Counts, String> {
    let (all, private, managed, member): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE share_type = 0),
                count(*) FILTER (WHERE share_type = 0 AND managers @> ARRAY[$1::uuid]),
                count(*) FILTER (WHERE share_type <> 0 OR managers @> ARRAY[$1::uuid])
           FROM persons",
    )
    .bind(member_id)
    .fetch_one(pool)
    .await
    .map_err(|e| format!("count persons: {e}"))?;
    Ok(Counts {
        all,
        private,
        managed,
        member,
    })
}

/// `total` of the caller's first page.
async fn list_total(http_url: &str, token: &str) -> Result<i64, String> {
    let url = format!("{http_url}/api/2.0/crm/contact/filter?count=1");
    let res = reqwest::Client::new()
        .get(&url)
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = res.status();
    let body: Value = res.json().await.map_err(|e| format!("GET {url}: {e}"))?;
    body["total"]
        .as_i64()
        .ok_or_else(|| format!("GET {url}: {status} {body}"))
}

/// The lists (REST: default, sorted, deep, search; gRPC: default) at each client count, the non-admin
/// and the admin one after the other.
async fn lists(args: &Args, served: &Served, viewers: &[(&str, &str, i64)], contacts: u64) -> Vec<Outcome> {
    let deep = args.visibility_deep.unwrap_or(contacts / 10);
    let search = &args.visibility_search;
    let queries = [
        ("default page (newest first)".to_string(), String::new()),
        (
            "sorted page (sortBy=lastName)".to_string(),
            "?sortBy=lastName".to_string(),
        ),
        (format!("deep page (startIndex={deep})"), format!("?startIndex={deep}")),
        (
            format!("search (filterValue={search})"),
            format!("?filterValue={search}"),
        ),
    ];
    let mut rows = Vec::new();
    for &clients in &args.visibility_clients {
        for (what, query) in &queries {
            for &(who, token, _) in viewers {
                let name = format!("REST list, {who}, {what}, {clients} client{}", plural(clients));
                let url = format!("{}/api/2.0/crm/contact/filter{query}", served.http_url);
                println!("bench: visibility: {name}");
                let row = rest_list(url, token, clients, args.duration(), served.pid, name.clone()).await;
                rows.push(row.unwrap_or_else(|e| Outcome::failed(name, e)));
            }
        }
        for &(who, token, _) in viewers {
            let name = format!(
                "gRPC ListPersons, {who}, default page, {clients} client{}",
                plural(clients)
            );
            println!("bench: visibility: {name}");
            let row = grpc_list(
                &served.grpc_url,
                token,
                clients,
                args.duration(),
                served.pid,
                name.clone(),
            )
            .await;
            rows.push(row.unwrap_or_else(|e| Outcome::failed(name, e)));
        }
    }
    rows
}

async fn rest_list(
    url: String,
    token: &str,
    clients: usize,
    duration: Duration,
    pid: Option<u32>,
    name: String,
) -> Result<Outcome, String> {
    let mut conns = Vec::with_capacity(clients);
    for _ in 0..clients {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| e.to_string())?;
        conns.push(client);
    }
    let auth = format!("Bearer {token}");
    let call = move |client: reqwest::Client, _i: u64| {
        let request = client.get(&url).header("Authorization", &auth);
        async move {
            let res = request.send().await.map_err(|e| e.to_string())?;
            match res.status().as_u16() {
                200 => res.bytes().await.map(drop).map_err(|e| e.to_string()),
                s => Err(format!("{s}: {}", res.text().await.unwrap_or_default())),
            }
        }
    };
    let outcome = Outcome::new(name, "lists/s");
    Ok(session::closed_loop(conns, duration, call, outcome, pid).await)
}

async fn grpc_list(
    url: &str,
    token: &str,
    clients: usize,
    duration: Duration,
    pid: Option<u32>,
    name: String,
) -> Result<Outcome, String> {
    let endpoint = Endpoint::from_shared(url.to_string())
        .map_err(|e| format!("{url}: {e}"))?
        .tcp_nodelay(true);
    let mut conns: Vec<PersonServiceClient<Channel>> = Vec::with_capacity(clients);
    for _ in 0..clients {
        let channel = endpoint.connect().await.map_err(|e| format!("connect {url}: {e}"))?;
        conns.push(PersonServiceClient::new(channel));
    }
    let bearer: MetadataValue<_> = format!("Bearer {token}")
        .parse()
        .map_err(|e| format!("token as metadata: {e}"))?;
    let call = move |mut client: PersonServiceClient<Channel>, _i: u64| {
        let mut request = tonic::Request::new(ListPersonsRequest::default());
        request.metadata_mut().insert("authorization", bearer.clone());
        async move {
            client
                .list_persons(request)
                .await
                .map(drop)
                .map_err(|s| format!("{:?}: {}", s.code(), s.message()))
        }
    };
    let outcome = Outcome::new(name, "lists/s");
    Ok(session::closed_loop(conns, duration, call, outcome, pid).await)
}

/// The person list's statements as `src/read_model/persons.rs` (`HEAD`, `JOINS`, `list`) and
/// `src/read_model/mod.rs` (`visible_page`, `count`, `Viewer::parts`) send them: keep in step with those.
const HEAD: &str = "SELECT p.id, p.first_name, p.last_name, p.title, p.company_id, p.about, p.share_type,
        p.managers, p.custom_fields, p.photo, p.created_by, p.created_at, p.common_data, p.version,
        u.user_name AS creator_user_name, u.first_name AS creator_first_name,
        u.last_name AS creator_last_name, u.title AS creator_title,
        c.company_name, c.share_type AS company_share_type, c.managers AS company_managers
   FROM";
const JOINS: &str = "LEFT JOIN users u ON u.id = p.created_by LEFT JOIN companies c ON c.id = p.company_id";

/// `EXPLAIN (ANALYZE, BUFFERS)` of the lists' statements, each prepared and executed five times first,
/// as the service's cached statements are (so a generic plan shows where PostgreSQL would switch to one).
async fn plans(db_url: &str, member_id: &str, args: &Args, contacts: u64) -> Result<String, String> {
    let mut conn = PgConnection::connect(db_url)
        .await
        .map_err(|e| format!("connect for EXPLAIN: {e}"))?;
    let shared = "p.share_type <> 0".to_string();
    let managed = format!("p.share_type = 0 AND p.managers @> ARRAY['{member_id}']::uuid[]");
    let member = format!("(({shared}) OR ({managed}))");
    let deep = args.visibility_deep.unwrap_or(contacts / 10);
    let search = format!("'%{}%'", args.visibility_search.to_lowercase());
    let page = |cond: &str, filter: bool, order: &str| {
        let like = if filter { " AND p.search LIKE $3" } else { "" };
        format!(
            "{HEAD} (SELECT * FROM persons p WHERE {cond}{like} ORDER BY {order} LIMIT $1 OFFSET $2) p {JOINS} \
             ORDER BY {order}"
        )
    };
    let count = |parts: &[&String], filter: bool| {
        let like = if filter { " AND p.search LIKE $1" } else { "" };
        let sums: String = parts
            .iter()
            .map(|part| format!(" + (SELECT count(*) FROM persons p WHERE {part}{like})"))
            .collect();
        format!("SELECT 0::bigint{sums}")
    };
    let member_parts = [&shared, &managed];
    let all = "true".to_string();
    let newest = "p.created_at DESC, p.id DESC";
    let by_last = "lower(p.last_name) ASC, p.id ASC";
    let statements = [
        (
            "non-admin, default page",
            page(&member, false, newest),
            "25, 0".to_string(),
        ),
        ("non-admin, its count", count(&member_parts, false), String::new()),
        (
            "non-admin, sorted page (sortBy=lastName)",
            page(&member, false, by_last),
            "25, 0".to_string(),
        ),
        (
            "non-admin, deep page",
            page(&member, false, newest),
            format!("25, {deep}"),
        ),
        (
            "non-admin, search page",
            page(&member, true, newest),
            format!("25, 0, {search}"),
        ),
        ("non-admin, search count", count(&member_parts, true), search.clone()),
        ("admin, default page", page("true", false, newest), "25, 0".to_string()),
        ("admin, its count", count(&[&all], false), String::new()),
    ];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## EXPLAIN (ANALYZE, BUFFERS) of the person lists, {contacts} persons\n\n\
         Each statement as the service sends it, prepared and executed 5 times before the EXPLAIN \
         (the service's statements are cached per connection; a `$n` in a plan means PostgreSQL chose the generic plan)."
    );
    for (n, (what, sql, params)) in statements.iter().enumerate() {
        let stmt = format!("vis_plan_{n}");
        sqlx::raw_sql(&format!("PREPARE {stmt} AS {sql}"))
            .execute(&mut conn)
            .await
            .map_err(|e| format!("prepare {what}: {e}"))?;
        let exec = if params.is_empty() {
            format!("EXECUTE {stmt}")
        } else {
            format!("EXECUTE {stmt}({params})")
        };
        for _ in 0..5 {
            sqlx::raw_sql(&exec)
                .execute(&mut conn)
                .await
                .map_err(|e| format!("execute {what}: {e}"))?;
        }
        let lines: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN (ANALYZE, BUFFERS) {exec}"))
            .fetch_all(&mut conn)
            .await
            .map_err(|e| format!("explain {what}: {e}"))?;
        let _ = writeln!(out, "\n### {what}\n\n```sql\n{sql}\n-- {exec}\n```\n\n```");
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
        let _ = writeln!(out, "```");
    }
    let _ = conn.close().await;
    Ok(out)
}
