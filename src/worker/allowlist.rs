//! The package allowlist free-form R may load without approval
//! (`tools/flexible_r/r-package-allowlist.json`, built into the binary), by
//! category. Both sides read it: a worker hands it to its R at start-up
//! (`child`), and the free-form tools list it and check approvals against it
//! (the `freeform` provider). It holds no session's approvals.

use std::collections::{BTreeMap, BTreeSet};

/// Legacy category names of `list_allowed_r_packages` and what they list.
const LEGACY: &[(&str, &[&str])] = &[
    ("stats", &["base_r", "robust_stats"]),
    ("ml", &["machine_learning"]),
    ("data", &["data_io"]),
];

/// Packages shown under the legacy `visualization` category.
const VISUALIZATION: &[&str] = &[
    "RColorBrewer",
    "corrplot",
    "cowplot",
    "gganimate",
    "ggplot2",
    "ggpubr",
    "ggrepel",
    "ggridges",
    "gridExtra",
    "lattice",
    "patchwork",
    "scales",
    "viridis",
    "grid",
    "grDevices",
    "graphics",
    "bayesplot",
    "ggraph",
    "leaflet",
    "tmap",
    "networkD3",
    "visNetwork",
];

/// The package allowlist, by category.
pub struct Allowlist {
    categories: BTreeMap<String, Vec<String>>,
    all: BTreeSet<String>,
}

impl Allowlist {
    pub fn load() -> Result<Allowlist, serde_json::Error> {
        let categories: BTreeMap<String, Vec<String>> =
            serde_json::from_str(crate::tools::flexible_r::ALLOWLIST_JSON)?;
        let all = categories.values().flatten().cloned().collect();
        Ok(Allowlist { categories, all })
    }

    /// Every allowlisted package, sorted.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.all.iter()
    }

    pub fn contains(&self, package: &str) -> bool {
        self.all.contains(package)
    }

    /// How many packages are allowlisted.
    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// The categories and their packages.
    pub fn categories(&self) -> &BTreeMap<String, Vec<String>> {
        &self.categories
    }

    /// The packages of category `name`: a category, `all`, or a legacy name.
    pub fn category(&self, name: &str) -> Option<Vec<String>> {
        if name == "all" {
            return Some(self.all.iter().cloned().collect());
        }
        if name == "visualization" {
            return Some(
                VISUALIZATION
                    .iter()
                    .filter(|p| self.all.contains(**p))
                    .map(|p| p.to_string())
                    .collect(),
            );
        }
        if let Some((_, members)) = LEGACY.iter().find(|(legacy, _)| *legacy == name) {
            let set: BTreeSet<String> = members
                .iter()
                .filter_map(|category| self.categories.get(*category))
                .flatten()
                .cloned()
                .collect();
            return Some(set.into_iter().collect());
        }
        self.categories.get(name).cloned()
    }
}
