import { FluentProvider, Text, webLightTheme } from "@fluentui/react-components";

export function App(props: { host: string | null }) {
  return (
    <FluentProvider theme={webLightTheme}>
      <Text>{props.host ? "OfficeLLM in Excel" : "OfficeLLM is not running inside Excel"}</Text>
    </FluentProvider>
  );
}
