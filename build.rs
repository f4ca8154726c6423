//! Compiles `proto/rollcall/v1/*.proto` with `tonic-prost-build`, and writes the file descriptor set
//! that server reflection serves. `protoc` comes from `PROTOC`, else from `PATH`.

use std::env;
use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "proto/rollcall/v1/common.proto",
    "proto/rollcall/v1/companies.proto",
    "proto/rollcall/v1/groups.proto",
    "proto/rollcall/v1/persons.proto",
    "proto/rollcall/v1/users.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = find_protoc()?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc);
    tonic_prost_build::configure()
        // Malformed request bytes are INVALID_ARGUMENT there, not tonic-prost's INTERNAL.
        .codec_path("crate::grpc::codec::Codec")
        .build_server(true)
        .build_client(true)
        .file_descriptor_set_path(out_dir.join("rollcall_v1_descriptor.bin"))
        .compile_with_config(config, PROTOS, &["proto"])?;
    println!("cargo:rerun-if-changed=proto");
    // sqlx::migrate! embeds migrations/ at compile time: a new migration alone must rebuild.
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-env-changed=PROTOC");
    Ok(())
}

/// `PROTOC` if set, else the first `protoc` on `PATH`; a clear error when there is none.
fn find_protoc() -> Result<PathBuf, String> {
    if let Some(p) = env::var_os("PROTOC") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("PROTOC is set to {}, which is not a file", p.display()))
        };
    }
    env::var_os("PATH")
        .iter()
        .flat_map(env::split_paths)
        .map(|dir| dir.join("protoc"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "protoc was not found: install it (Debian/Ubuntu: `apt-get install protobuf-compiler`, which also \
             needs `libprotobuf-dev` for google/protobuf/*.proto) or set PROTOC to its path"
                .to_string()
        })
}
