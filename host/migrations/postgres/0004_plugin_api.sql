-- A plugin version's description of its routes (`api.json`: an OpenAPI
-- paths object, relative to the service), merged into the portal's document.
ALTER TABLE plugin_versions ADD COLUMN api TEXT;
