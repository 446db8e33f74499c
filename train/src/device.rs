//! Which device a run trains on (`--device auto|cpu|cuda|cuda:N`) and how messages name it.

use tch::Device;

use crate::Error;
use crate::progress::plural;

/// Parse `auto|cpu|cuda|cuda:N` (`dcgan::Device` parses all but `auto`); CUDA must
/// really be there. Returns the device and why it was chosen.
pub fn parse_device(spec: &str) -> Result<(Device, &'static str), Error> {
    let visible = if tch::Cuda::is_available() { tch::Cuda::device_count() as usize } else { 0 };
    let wanted = match spec {
        "auto" if visible > 0 => return Ok((Device::Cuda(0), "--device auto: libtorch sees a CUDA GPU")),
        "auto" => return Ok((Device::Cpu, "--device auto: libtorch sees no CUDA GPU")),
        s => s.parse::<dcgan::Device>().map_err(|e| Error::BadInput(format!("--device {e}; or auto")))?,
    };
    match wanted {
        dcgan::Device::Cpu => Ok((Device::Cpu, "--device cpu")),
        dcgan::Device::Cuda(i) if i < visible => Ok((Device::Cuda(i), "as asked")),
        dcgan::Device::Cuda(_) => Err(Error::BadInput(format!(
            "--device {spec}: CUDA is not available here ({visible} GPU(s) visible to libtorch); use --device cpu"
        ))),
    }
}

/// How the epoch lines and the summary name `device`.
pub fn device_name(device: Device) -> String {
    match device {
        Device::Cpu => format!("cpu ({})", plural(tch::get_num_threads() as usize, "thread")),
        Device::Cuda(i) => format!("cuda:{i}"),
        other => format!("{other:?}"),
    }
}
