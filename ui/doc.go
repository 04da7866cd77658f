// Package ui is loupe's web UI server: it serves the app embedded in the
// binary (ui/assets), streams live flows to browsers over WebSocket
// (ui/live) and answers the app's history, trace and policy requests from
// the relay's Observer API, the relay's query API and the agent's API.
//
// Everything the server sends the browser is data (JSON); the app renders
// it as text, never as markup, and the server forbids inline script with a
// Content-Security-Policy so that a flow that slips through still cannot
// run code.
package ui
