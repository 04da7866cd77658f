package kafkaproxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// minFrame is the smallest request frame: api key, version, correlation id.
const minFrame = 8

var (
	errFrameSize  = errors.New("bad frame size")
	errTruncated  = errors.New("truncated frame")
	errCorrelated = errors.New("response out of order")
)

// readFrame reads one size-prefixed frame (the size excluded) of at most
// max bytes. A clean end of stream before the size is io.EOF; an end
// inside a frame is errTruncated.
func readFrame(r io.Reader, max, min int) ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("read frame size: %w", errTruncated)
		}
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(size[:]))
	if n < int32(min) || int64(n) > int64(max) {
		return nil, fmt.Errorf("%w: %d (want %d to %d)", errFrameSize, n, min, max)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("read frame of %d bytes: %w", n, errTruncated)
		}
		return nil, fmt.Errorf("read frame: %w", err)
	}
	return buf, nil
}

// appendFrame appends body as a size-prefixed frame.
func appendFrame(dst, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	return append(dst, body...)
}
