//! The report has always written "" for what is not there (a run that did not happen, a
//! finding of no stated kind); kept so the JSON is the same, while the code sees an Option.

use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub fn serialize<T: Serialize, S: Serializer>(m: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => m.serialize(s),
        None => s.serialize_str(""),
    }
}

pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    let text = String::deserialize(d)?;
    if text.is_empty() {
        return Ok(None);
    }
    T::deserialize(text.into_deserializer()).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::super::perf::{Mode, PerfReport};
    use super::super::security::SecurityFinding;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Row {
        #[serde(default, with = "super")]
        mode: Option<Mode>,
    }

    #[test]
    fn none_is_written_and_read_as_an_empty_string() {
        for (mode, json) in [
            (None, r#"{"mode":""}"#),
            (Some(Mode::Invoke), r#"{"mode":"invoke"}"#),
        ] {
            assert_eq!(serde_json::to_string(&Row { mode }).unwrap(), json);
            assert_eq!(serde_json::from_str::<Row>(json).unwrap(), Row { mode });
        }
        assert_eq!(
            serde_json::from_str::<Row>("{}").unwrap(),
            Row { mode: None }
        );
        assert!(serde_json::from_str::<Row>(r#"{"mode":"sideways"}"#).is_err());
    }

    /// The fields that go through it, as the JSON had them when they were strings.
    #[test]
    fn the_report_writes_none_as_it_did() {
        let p = serde_json::to_value(PerfReport::default()).unwrap();
        assert_eq!((&p["mode"], &p["model"]), (&"".into(), &"".into()));
        let f = serde_json::to_value(SecurityFinding::default()).unwrap();
        assert_eq!(f["kind"], "");
    }
}
