//! Ids a client keeps across requests (sessions, tasks, workspace handles):
//! 128 random bits, unguessable, prefixed with the replica's node id
//! (`RMCP_NODE_ID`) when one is set, so that a proxy in front of several
//! replicas can send every request naming the id back to the replica that
//! holds what it names (`deploy/compose/nginx.conf`, `deploy/k8s/router.yaml`).

/// The system's random source failed.
#[derive(Debug, thiserror::Error)]
#[error("no random bytes for an id: {0}")]
pub struct NoRandom(String);

/// A new id: `<node-id>.<32 hex digits>`, or the 32 hex digits alone
/// without a node id.
pub fn routable(node_id: Option<&str>) -> Result<String, NoRandom> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| NoRandom(error.to_string()))?;
    let random: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(match node_id {
        Some(node_id) => format!("{node_id}.{random}"),
        None => random,
    })
}

/// The node id an id names, if any (the part before the first `.`).
pub fn node_of(id: &str) -> Option<&str> {
    id.split_once('.').map(|(node, _)| node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_and_name_their_node() {
        let first = routable(None).expect("id");
        let second = routable(None).expect("id");
        assert_eq!(first.len(), 32);
        assert_ne!(first, second);
        assert_eq!(node_of(&first), None);
        let routed = routable(Some("rmcp-2")).expect("id");
        assert_eq!(node_of(&routed), Some("rmcp-2"));
        assert_eq!(routed.len(), "rmcp-2.".len() + 32);
    }
}
