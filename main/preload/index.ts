import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CALL, IPC_EVENT, type AgentBridge } from '../common/wire.js';
import type { AgentEvent } from '../common/state.js';

// The renderer gets exactly these two functions, never ipcRenderer itself.
const bridge: AgentBridge = {
  call: (cmd, args) => ipcRenderer.invoke(IPC_CALL, { cmd, args }),
  onEvent: (listener) => {
    const handler = (_event: IpcRendererEvent, payload: AgentEvent): void => listener(payload);
    ipcRenderer.on(IPC_EVENT, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, handler);
    };
  },
};

contextBridge.exposeInMainWorld('agent', bridge);
