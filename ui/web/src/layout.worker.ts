// The layout runs here, off the main thread: the page stays responsive
// while a large map is laid out.
import { layout, LayoutInput } from './layout';

self.onmessage = (ev: MessageEvent<LayoutInput>) => {
  (self as unknown as Worker).postMessage(layout(ev.data));
};
