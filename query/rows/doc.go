// Package rows maps flows to rows of the flows table and back: the one
// place where a field of the flow record meets a column. Writers fill a
// Block (one typed slice per column, appended to a batch column by column);
// readers select ReadColumns and Scan each row into a flow.
package rows
