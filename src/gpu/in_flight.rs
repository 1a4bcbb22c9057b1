//! The submissions of a run that the GPU has not been seen to finish: how many steps they hold, waiting for the
//! oldest (native), and forgetting those a loss report shows done.

use std::collections::VecDeque;

/// A run's submissions not yet seen finished, each with the run's step count once it has run.
#[derive(Default)]
pub struct InFlight {
    submissions: VecDeque<(u32, wgpu::SubmissionIndex)>,
    /// Steps submitted in all.
    submitted: u32,
    /// Steps known to be finished on the GPU.
    done: u32,
}

impl InFlight {
    /// Notes a submission after which the run will have taken `steps` steps.
    pub fn push(&mut self, steps: u32, submission: wgpu::SubmissionIndex) {
        self.submitted = steps;
        self.submissions.push_back((steps, submission));
    }

    /// Steps submitted whose completion has not been seen (by `wait_oldest` or `mark_done`).
    pub fn steps(&self) -> u32 {
        self.submitted - self.done
    }

    /// Notes that the GPU has finished the run's first `steps` steps (a loss report of that step has arrived, or
    /// a step was run and waited for outside the queue, as a profiled one is): they were all submitted.
    pub fn mark_done(&mut self, steps: u32) {
        self.done = self.done.max(steps);
        self.submitted = self.submitted.max(self.done);
        while self.submissions.front().is_some_and(|&(end, _)| end <= self.done) {
            self.submissions.pop_front();
        }
    }

    /// Blocks the calling thread until the oldest submission has finished (the GPU keeps working on the ones
    /// after it), then checks that the device lives. Native only: the page awaits the queue's work instead.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait_oldest(&mut self, gpu: &super::Gpu) -> crate::error::Result<()> {
        if let Some((steps, submission)) = self.submissions.pop_front() {
            gpu.device
                .poll(wgpu::PollType::Wait {
                    submission_index: Some(submission),
                    timeout: None,
                })
                .map_err(|e| crate::error::Error::Gpu(format!("waiting for the GPU: {e}")))?;
            self.mark_done(steps);
        }
        gpu.check_alive()
    }
}
