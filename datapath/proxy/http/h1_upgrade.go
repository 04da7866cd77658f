package httpproxy

import (
	"io"
	"net/http"
	"time"
)

// upgrade relays a protocol switch (WebSocket): the 101 goes to the
// client, then bytes flow both ways until either side closes. The
// connection carries no more HTTP requests, so no more flows.
func (cc *conn1) upgrade(resp *http.Response) {
	rwc, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		return
	}
	defer rwc.Close()
	resp.Body = nil // the head only: the body is the connection
	if err := resp.Write(cc.w); err != nil || cc.bw.Flush() != nil {
		return
	}
	_ = cc.c.SetReadDeadline(time.Time{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(rwc, cc.br)
		rwc.Close()
	}()
	_, _ = io.Copy(cc.c, rwc)
	cc.c.Close()
	<-done
}
