//! DilNet models as safetensors bytes, with PyTorch's names and layouts.
//!
//! The architecture travels in the safetensors metadata as JSON strings (`"arch": "dilnet"`,
//! `"channels": "[16,32,64]"`, `"dilations": "[2,2,2]"`, `"mean"`, `"std"`, `"hidden"`,
//! `"classes"`, `"side"`), so a file alone rebuilds its network. `"kernels"` (e.g. `"[5,5,5]"`) is
//! written only when a layer's kernel is not 3×3; absent means `[3,3,3]`, so files written before
//! kernels could vary read as they always did and reference models keep their bytes. Loading checks every name,
//! shape and dtype and says exactly what is wrong. This module handles bytes only; callers own
//! the files (and write them atomically).

use crate::Result;
use crate::checkpoint::check_tensor;
use crate::error::ModelFileError;
use crate::nn::{DilNet, DilNetConfig, PARAM_NAMES};
use atrous_tensor::Tensor;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;

/// Little-endian f32 bytes of a tensor.
fn le_bytes(t: &Tensor) -> Vec<u8> {
    t.as_slice().iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Serialises named tensors with string metadata into safetensors bytes.
pub fn to_safetensors(tensors: &[(&str, &Tensor)], metadata: HashMap<String, String>) -> Result<Vec<u8>> {
    let bytes: Vec<Vec<u8>> = tensors.iter().map(|(_, t)| le_bytes(t)).collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|((name, t), b)| {
            Ok((
                *name,
                TensorView::new(Dtype::F32, t.dims().to_vec(), b)
                    .map_err(|e| ModelFileError::Serialise(e.to_string()))?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let bytes = safetensors::serialize(views, Some(metadata))
        .map_err(|e| ModelFileError::Serialise(e.to_string()))?;
    Ok(canonical_header(bytes))
}

/// Rewrites the JSON header with its keys sorted. The `safetensors` crate serialises metadata
/// from a `HashMap`, whose order changes from process to process; sorting makes the same model
/// give the same bytes, so "same seed, same file" can be checked with a byte comparison. The
/// sorted JSON has exactly the characters of the original, so the header length and every data
/// offset stay as they were.
fn canonical_header(mut bytes: Vec<u8>) -> Vec<u8> {
    fn sorted(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            other => other,
        }
    }
    let Some(len) = bytes.get(..8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize)
    else {
        return bytes;
    };
    let Some(header) = bytes.get(8..8 + len) else { return bytes };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(header) else { return bytes };
    let Ok(mut canon) = serde_json::to_vec(&sorted(value)) else { return bytes };
    if canon.len() <= len {
        // safetensors pads the header with spaces to an 8-byte boundary; keep that padding.
        canon.resize(len, b' ');
        bytes[8..8 + len].copy_from_slice(&canon);
    }
    bytes
}

/// Reads every tensor (f32 only) and the metadata of safetensors bytes.
pub fn from_safetensors(bytes: &[u8]) -> Result<(HashMap<String, Tensor>, HashMap<String, String>)> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| ModelFileError::NotSafetensors(e.to_string()))?;
    let (_, meta) =
        SafeTensors::read_metadata(bytes).map_err(|e| ModelFileError::NotSafetensors(e.to_string()))?;
    let mut out = HashMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(ModelFileError::Dtype { name, dtype: format!("{:?}", view.dtype()) }.into());
        }
        let data =
            view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        out.insert(name, Tensor::from_vec(view.shape(), data)?);
    }
    Ok((out, meta.metadata().clone().unwrap_or_default()))
}

fn json_list(v: &[usize]) -> String {
    format!("[{}]", v.iter().map(usize::to_string).collect::<Vec<_>>().join(","))
}

/// Architecture metadata of a DilNet, plus any `extra` entries (e.g. training provenance).
pub fn dilnet_metadata(config: &DilNetConfig) -> HashMap<String, String> {
    let mut meta = HashMap::from([
        ("arch".into(), "dilnet".into()),
        ("channels".into(), json_list(&config.channels)),
        ("dilations".into(), json_list(&config.dilations)),
        ("hidden".into(), config.hidden.to_string()),
        ("classes".into(), config.classes.to_string()),
        ("side".into(), config.side.to_string()),
        ("mean".into(), config.mean.to_string()),
        ("std".into(), config.std.to_string()),
    ]);
    if config.kernels != DEFAULT_KERNELS {
        meta.insert(KERNELS.into(), json_list(&config.kernels));
    }
    meta
}

/// Metadata key of the per-layer kernel sides.
const KERNELS: &str = "kernels";
/// Kernel sides meant by a file without a `"kernels"` entry.
const DEFAULT_KERNELS: [usize; 3] = [3, 3, 3];

/// A DilNet as safetensors bytes; `extra` metadata is added beside the architecture.
pub fn save_dilnet(model: &DilNet, extra: &[(&str, String)]) -> Result<Vec<u8>> {
    let mut meta = dilnet_metadata(&model.config);
    meta.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let named: Vec<(&str, &Tensor)> = PARAM_NAMES.iter().copied().zip(model.parameters()).collect();
    to_safetensors(&named, meta)
}

fn meta_value<'a>(meta: &'a HashMap<String, String>, key: &str) -> Result<&'a str> {
    meta.get(key).map(String::as_str).ok_or_else(|| ModelFileError::MissingMetadata(key.into()).into())
}

fn parse_list3(meta: &HashMap<String, String>, key: &str) -> Result<[usize; 3]> {
    let raw = meta_value(meta, key)?;
    let bad = || ModelFileError::BadMetadata {
        key: key.into(),
        value: raw.into(),
        expected: "a list of 3 integers",
    };
    let parsed: Vec<usize> = serde_json::from_str(raw).map_err(|_| bad())?;
    Ok(parsed.try_into().map_err(|_| bad())?)
}

fn parse_num<T: std::str::FromStr>(meta: &HashMap<String, String>, key: &str) -> Result<T> {
    let raw = meta_value(meta, key)?;
    Ok(raw.parse().map_err(|_| ModelFileError::BadMetadata {
        key: key.into(),
        value: raw.into(),
        expected: "a number",
    })?)
}

/// The architecture recorded in a model file's metadata.
pub fn dilnet_config(meta: &HashMap<String, String>) -> Result<DilNetConfig> {
    let arch = meta_value(meta, "arch")?;
    if arch != "dilnet" {
        return Err(ModelFileError::Architecture(arch.into()).into());
    }
    let config = DilNetConfig {
        channels: parse_list3(meta, "channels")?,
        dilations: parse_list3(meta, "dilations")?,
        kernels: if meta.contains_key(KERNELS) { parse_list3(meta, KERNELS)? } else { DEFAULT_KERNELS },
        hidden: parse_num(meta, "hidden")?,
        classes: parse_num(meta, "classes")?,
        side: parse_num(meta, "side")?,
        mean: parse_num(meta, "mean")?,
        std: parse_num(meta, "std")?,
    };
    config.validate()?;
    Ok(config)
}

/// Rebuilds a DilNet from safetensors bytes, checking every name, shape, dtype and value
/// against the architecture in the metadata before building the network.
pub fn load_dilnet(bytes: &[u8]) -> Result<(DilNet, HashMap<String, String>)> {
    let (mut tensors, meta) = from_safetensors(bytes)?;
    let config = dilnet_config(&meta)?;
    let shapes = config.param_shapes();
    let mut params = Vec::with_capacity(PARAM_NAMES.len());
    for (name, shape) in PARAM_NAMES.iter().zip(&shapes) {
        let t = tensors.remove(*name).ok_or_else(|| ModelFileError::MissingTensor(name.to_string()))?;
        check_tensor(name, &t, shape)?;
        params.push(t);
    }
    if let Some(extra) = tensors.keys().next() {
        return Err(ModelFileError::UnexpectedTensor(extra.clone()).into());
    }
    let params: [Tensor; 10] = params.try_into().expect("ten names");
    Ok((DilNet::from_parameters(config, params)?, meta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrous_tensor::rng::Rng;

    #[test]
    fn kernels_entry_is_written_only_when_not_3x3_and_round_trips() {
        let reference = DilNet::new(DilNetConfig::reference(2), &mut Rng::seed_from(0)).unwrap();
        let (_, meta) = load_dilnet(&save_dilnet(&reference, &[]).unwrap()).unwrap();
        assert!(!meta.contains_key(KERNELS), "a 3×3 model must keep the metadata it always had");

        let config = DilNetConfig { kernels: [5, 7, 9], ..DilNetConfig::reference(1) };
        let wide = DilNet::new(config.clone(), &mut Rng::seed_from(0)).unwrap();
        assert_eq!(wide.conv2.weight.dims(), &[32, 16, 7, 7]);
        assert_eq!(wide.conv3.params.padding, (4, 4), "padding d·(k−1)/2 keeps the size");
        let (back, meta) = load_dilnet(&save_dilnet(&wide, &[]).unwrap()).unwrap();
        assert_eq!(meta.get(KERNELS).map(String::as_str), Some("[5,7,9]"));
        assert_eq!(back, wide);

        let even = DilNetConfig { kernels: [4, 3, 3], ..DilNetConfig::reference(1) };
        assert!(DilNet::new(even, &mut Rng::seed_from(0)).is_err(), "an even kernel has no 'same' padding");
    }
}
