export { registerCommands } from './commands/index.js';
export { channelAddress, channelOpen, channelUpdate, channelStatus, channelClose, channelForceClose, channelWatchOnce, userKeysFrom, readChannelFile, ChannelCommandError } from './commands/channel.js';
