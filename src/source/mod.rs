//! Where `gate check` reads an image from: a path or skopeo-style reference (archives and
//! layouts on disk, a registry, a Docker/Podman engine), or the image a Lambda function runs.
//!
//! Every source ends as an `image::Image` whose layers the one scan reads; only where the
//! bytes come from differs. The report says where that was (`image.source`, and `deployed`
//! for a function).

pub mod daemon;
pub mod lambda;
pub mod reference;
pub mod registry;

use anyhow::{anyhow, bail, Result};

use crate::image::{self, resolve::Selection, Image, Scan, ScanOptions};

pub use reference::{Engine, ImageRef, Name};

/// How to reach registries, daemons and AWS.
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub registry: registry::Options,
    pub aws: crate::aws::Settings,
    /// An ECR endpoint was named: a registry on the endpoint's host (any port) is that ECR
    /// whatever its name (emulators serve their registry on their own host).
    pub ecr_explicit: bool,
    /// Most bytes of an engine's export spooled to disk (`--max-export-size`); `None` is
    /// `daemon::DEFAULT_MAX_EXPORT`.
    pub max_export: Option<u64>,
}

/// An image found, with what must live as long as it is read.
pub struct Opened {
    pub image: Image,
    /// What the report calls the source (the reference as given).
    pub source: String,
    /// A daemon's export spooled to disk; removed when dropped.
    pub spool: Option<tempfile::TempPath>,
}

/// Finds the image `reference` names. `sel.image` (from `--image`) and a name inside the
/// reference (`docker-archive:a.tar:app:1`) must not both be given.
pub fn open(reference: &ImageRef, sel: &Selection, access: &Access) -> Result<Opened> {
    let source = reference.display();
    match reference {
        ImageRef::Path(p) => Ok(Opened {
            image: image::open(p, sel)?,
            source,
            spool: None,
        }),
        ImageRef::Archive {
            transport,
            path,
            image: name,
        } => {
            let mut sel = sel.clone();
            if let Some(n) = name {
                if sel.image.as_ref().is_some_and(|i| i != n) {
                    bail!("{source}: the reference names image {n:?} and --image names another");
                }
                sel.image = Some(n.clone());
            }
            // skopeo's oci: is a layout directory; the archive transports are tar files.
            let is_dir = path.is_dir();
            if *transport == "oci" && path.exists() && !is_dir {
                bail!("{source}: oci: names a layout directory, and {} is a file (oci-archive: or docker-archive: for tar files)", path.display());
            }
            if *transport != "oci" && is_dir {
                bail!("{source}: {transport}: names a tar file, and {} is a directory (oci: for layout directories)", path.display());
            }
            let img = image::open(path, &sel)?;
            Ok(Opened {
                image: img,
                source,
                spool: None,
            })
        }
        ImageRef::Registry(name) => Ok(Opened {
            image: registry::open(name, sel, &registry_options(name, access)?)?,
            source,
            spool: None,
        }),
        ImageRef::Daemon { engine, name } => {
            let cap = access.max_export.unwrap_or(daemon::DEFAULT_MAX_EXPORT);
            let spool = daemon::export(*engine, name, cap)?;
            let mut img = image::open(&spool, sel)
                .map_err(|e| anyhow!("{source}: the engine's export: {e:#}"))?;
            img.notes.push(format!(
                "{source}: the engine's export stream puts manifest.json after the layers, so it was spooled once to a temporary file ({}) and read from there",
                spool.display()
            ));
            Ok(Opened {
                image: img,
                source,
                spool: Some(spool),
            })
        }
    }
}

/// ECR wants a token from its API where no credentials file has one for the host.
fn registry_options(name: &Name, access: &Access) -> Result<registry::Options> {
    let mut opts = access.registry.clone();
    if opts.credentials.is_some() {
        return Ok(opts);
    }
    // An ECR name, or (an endpoint being named) that endpoint's own host: no other registry
    // is sent an ECR token.
    let ecr = lambda::ecr_host(&name.registry);
    let at_endpoint = access.ecr_explicit
        && access
            .aws
            .explicit_ecr_endpoint()
            .is_some_and(|e| lambda::is_endpoint_host(&name.registry, &e));
    if ecr.is_none() && !at_endpoint {
        return Ok(opts);
    }
    if registry::auth::lookup(&name.registry)?.is_some() {
        return Ok(opts);
    }
    let (account, region) = match ecr {
        Some((a, r)) => (Some(a), r),
        None => (None, access.aws.region()?),
    };
    let region = access.aws.region.clone().unwrap_or(region);
    opts.credentials = Some(
        lambda::ecr_credentials(account.as_deref(), &region, &access.aws)
            .map_err(|e| anyhow!("docker://{name}: {e:#}"))?,
    );
    Ok(opts)
}

/// Scans what `open` found. The caller turns the scan into the image job's facts: the source
/// only knows where the bytes come from.
pub fn scan(opened: &Opened, opts: &ScanOptions) -> Result<Scan> {
    image::scan(&opened.image, opts).map_err(|e| anyhow!("{}: {e:#}", opened.source))
}
