// Benchmark only: logs Haraka's event-loop delay once a second, so the bench can show that
// inspecting large attachments (in worker processes) does not stall the relay's loop.
const { monitorEventLoopDelay } = require('perf_hooks')

exports.register = function () {
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  setInterval(() => {
    const ms = (ns) => Math.round(ns / 1e4) / 100
    this.loginfo(`loop-delay ${JSON.stringify({ p99: ms(histogram.percentile(99)), max: ms(histogram.max) })}`)
    histogram.reset()
  }, 1000).unref()
}
